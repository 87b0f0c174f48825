/* norm_cols.c - the Defender column names sluice knows, and their lookup.
 *
 * DESIGN
 * norm_cols[] is generated from NORM_COLUMNS (norm_int.h). norm_cols_index()
 * builds an open-addressing table (NORM_CTAB_SLOTS, linear probing, load < 1/4)
 * from name hash to column id once per struct norm (one for the properties, one
 * for the AdditionalFields keys); norm_col_lookup() is one
 * hash over the key and usually one compare. Unknown names return NCOL_NONE and
 * go to unmapped under their own name.
 */
#include "norm_int.h"

#define NORM_COL_INFO(id, nm, fl) [NCOL_##id] = {.name = nm, .len = sizeof(nm) - 1, .flags = fl},
const struct norm_colinfo norm_cols[NCOL__COUNT] = {
    [NCOL_NONE] = {.name = "", .len = 0, .flags = 0},
    NORM_COLUMNS(NORM_COL_INFO)
    [NCOL__PROPS] = {.name = "", .len = 0, .flags = 0},
    NORM_AF_KEYS(NORM_COL_INFO)
};
#undef NORM_COL_INFO

_Static_assert(NORM_CTAB_SLOTS >= 4 * NCOL__COUNT, "column table too full");
_Static_assert((NORM_CTAB_SLOTS & (NORM_CTAB_SLOTS - 1)) == 0, "slots: a power of two");

uint64_t norm_key_hash(const char *k, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, k, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        k += 8;
        n -= 8;
    }
    if (n) {
        /* the last n bytes without a variable-length copy */
        uint64_t w = 0;
        if (n >= 4) {
            uint32_t lo, hi;
            memcpy(&lo, k, 4);
            memcpy(&hi, k + n - 4, 4);
            w = (uint64_t)lo | (uint64_t)hi << 32;
        } else {
            w = (uint64_t)(unsigned char)k[0] | (uint64_t)(unsigned char)k[n >> 1] << 8 |
                (uint64_t)(unsigned char)k[n - 1] << 16;
        }
        h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    }
    h ^= h >> 29;
    return h;
}

void norm_cols_index(uint16_t ctab[NORM_CTAB_SLOTS], unsigned first, unsigned end)
{
    memset(ctab, 0, NORM_CTAB_SLOTS * sizeof(ctab[0]));
    for (unsigned c = first; c < end; c++) {
        size_t s = norm_key_hash(norm_cols[c].name, norm_cols[c].len) & (NORM_CTAB_SLOTS - 1);
        while (ctab[s])
            s = (s + 1) & (NORM_CTAB_SLOTS - 1);
        ctab[s] = (uint16_t)c;
    }
}

enum norm_col norm_col_lookup(const uint16_t *ctab, const char *k, size_t n, uint64_t h)
{
    size_t s = h & (NORM_CTAB_SLOTS - 1);
    for (;;) {
        unsigned c = ctab[s];
        if (!c)
            return NCOL_NONE;
        if (norm_cols[c].len == n && memcmp(norm_cols[c].name, k, n) == 0)
            return (enum norm_col)c;
        s = (s + 1) & (NORM_CTAB_SLOTS - 1);
    }
}
