/* norm_time.c - Defender timestamps -> epoch milliseconds (schemas.md §4).
 *
 * DESIGN
 * Accepted: YYYY-MM-DD, 'T' or ' ', hh:mm:ss, an optional '.' and 1-9 fractional
 * digits, then 'Z', +hh:mm / -hh:mm, or nothing (UTC). Digits past the
 * millisecond are truncated, never rounded, so an event never moves into a later
 * millisecond. Out of range (year < 1970 or > 9999, month, day of month with leap
 * years, hour 24, minute 60, second 60, or a result before the epoch) is
 * invalid; this also rejects Windows' zero time 1601-01-01T00:00:00Z.
 * Integer arithmetic only (days-from-civil, H. Hinnant); constant divisors
 * compile to multiplications.
 */
#include <errno.h>

#include "norm_int.h"

static inline bool dig2(const char *s, unsigned *v)
{
    unsigned a = (unsigned)(unsigned char)s[0] - '0', b = (unsigned)(unsigned char)s[1] - '0';
    if (a > 9 || b > 9)
        return false;
    *v = a * 10 + b;
    return true;
}

static int64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
    y -= m <= 2;
    unsigned era = y / 400;
    unsigned yoe = y - era * 400;
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return 29;
    return dim[m - 1];
}

int norm_time_parse(const char *s, size_t n, int64_t *ms)
{
    unsigned yh, yl, mo, d, h, mi, se;
    if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
        s[16] != ':')
        return -EINVAL;
    if (!dig2(s, &yh) || !dig2(s + 2, &yl) || !dig2(s + 5, &mo) || !dig2(s + 8, &d) ||
        !dig2(s + 11, &h) || !dig2(s + 14, &mi) || !dig2(s + 17, &se))
        return -EINVAL;
    unsigned y = yh * 100 + yl;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        se > 59)
        return -EINVAL;
    size_t i = 19;
    unsigned frac = 0;
    if (i < n && s[i] == '.') {
        size_t k = 0;
        i++;
        while (i < n && (unsigned)(unsigned char)s[i] - '0' <= 9) {
            if (k < 3)
                frac = frac * 10 + (unsigned)(s[i] - '0');
            k++;
            i++;
        }
        if (k < 1 || k > 9)
            return -EINVAL;
        for (; k < 3; k++)
            frac *= 10;
    }
    int64_t off = 0;
    if (i < n) {
        if (s[i] == 'Z') {
            i++;
        } else if ((s[i] == '+' || s[i] == '-') && n - i >= 6 && s[i + 3] == ':') {
            unsigned oh, om;
            if (!dig2(s + i + 1, &oh) || !dig2(s + i + 4, &om) || oh > 23 || om > 59)
                return -EINVAL;
            off = (int64_t)(oh * 3600 + om * 60);
            if (s[i] == '-')
                off = -off;
            i += 6;
        } else {
            return -EINVAL;
        }
    }
    if (i != n)
        return -EINVAL;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + (int64_t)(h * 3600 + mi * 60 + se) - off;
    if (secs < 0)
        return -EINVAL;
    *ms = secs * 1000 + frac;
    return 0;
}
