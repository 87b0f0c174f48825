/* test_text.c - hex digits and JSON string escaping (text.h). */
#include <stdlib.h>

#include "harness.h"
#include "text.h"

TEST(hex_digits)
{
    CHECK_EQ_INT(hex_digit('0'), 0);
    CHECK_EQ_INT(hex_digit('9'), 9);
    CHECK_EQ_INT(hex_digit('a'), 10);
    CHECK_EQ_INT(hex_digit('F'), 15);
    CHECK_EQ_INT(hex_digit('g'), -1);
    CHECK_EQ_INT(hex_digit('/'), -1);
    CHECK_EQ_INT(hex_digit('\0'), -1);
}

TEST(json_escapes)
{
    char e[8];
    CHECK_EQ_INT(json_esc('a', e), 0);
    CHECK_EQ_INT(json_esc(0xc3, e), 0); /* UTF-8 bytes pass */
    CHECK_EQ_INT(json_esc('"', e), 2);
    CHECK_EQ_STR(e, "\\\"");
    CHECK_EQ_INT(json_esc('\\', e), 2);
    CHECK_EQ_STR(e, "\\\\");
    CHECK_EQ_INT(json_esc('\t', e), 2);
    CHECK_EQ_STR(e, "\\t");
    CHECK_EQ_INT(json_esc(0x01, e), 6);
    CHECK_EQ_STR(e, "\\u0001");
    CHECK_EQ_INT(json_esc(0x1f, e), 6);
    CHECK_EQ_STR(e, "\\u001f");
    CHECK_EQ_INT(json_esc(0x7f, e), 6);
    CHECK_EQ_STR(e, "\\u007f");
}

TEST(json_fputs_quotes_and_escapes)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    REQUIRE(f);
    json_fputs(f, "a\"b\\c\n\x01\xc3\xa9");
    fclose(f);
    CHECK_EQ_STR(s, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
    free(s);
}

TEST_MAIN()
