/* test_cpu.c - CPU list parsing. */
#include <errno.h>

#include "cpu.h"
#include "harness.h"

TEST(parse_lists)
{
    struct cpu_list l;
    CHECK_EQ_INT(cpu_list_parse("0-3,8,10-11", &l), 0);
    CHECK_EQ_INT(l.n, 7);
    CHECK_EQ_INT(l.cpu[4], 8);
    CHECK_EQ_INT(l.cpu[6], 11);
    CHECK_EQ_INT(cpu_list_parse("5", &l), 0);
    CHECK_EQ_INT(l.n, 1);
    CHECK(cpu_list_parse("", &l) != 0);
    CHECK(cpu_list_parse("1,1", &l) != 0);
    CHECK(cpu_list_parse("3-1", &l) != 0);
    CHECK(cpu_list_parse("1,", &l) != 0);
    CHECK(cpu_list_parse("a", &l) != 0);
    CHECK_EQ_INT(cpu_list_parse("99999", &l), -ERANGE);
}

TEST(allowed_contains_pinnable_cpu)
{
    struct cpu_list l;
    REQUIRE(cpu_list_allowed(&l) == 0);
    CHECK(l.n >= 1);
    CHECK_EQ_INT(cpu_pin_self(l.cpu[0]), 0);
    CHECK_EQ_INT(cpu_list_check(&l, &l), 0);
}

TEST_MAIN()
