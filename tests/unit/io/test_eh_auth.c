/* test_eh_auth.c - connection strings, SAS signing (published vector and an
 * independent OpenSSL HMAC), SAS verification. Entra ID flows: tests/auth/. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "eh_auth.h"
#include "harness.h"

static int parse(const char *s, struct eh_conn *c, char *why, size_t n)
{
    return eh_conn_parse(s, c, why, n);
}

TEST(conn_azure_portal_form)
{
    struct eh_conn c;
    char why[256];
    const char *s = "Endpoint=sb://contoso-xdr.servicebus.windows.net/;"
                    "SharedAccessKeyName=sluice-listen;"
                    "SharedAccessKey=Ab/cd+EF0123456789abcdefghijklmnopqrstuvwxy=;"
                    "EntityPath=insights-logs-advancedhunting";
    REQUIRE(parse(s, &c, why, sizeof(why)) == 0);
    CHECK_EQ_STR(c.host, "contoso-xdr.servicebus.windows.net");
    CHECK_EQ_INT(c.port, 5671);
    CHECK(c.tls);
    CHECK(!c.dev_emulator);
    CHECK_EQ_STR(c.key_name, "sluice-listen");
    CHECK_EQ_STR(c.key, "Ab/cd+EF0123456789abcdefghijklmnopqrstuvwxy="); /* '=' kept */
    CHECK_EQ_STR(c.entity, "insights-logs-advancedhunting");
    CHECK_EQ_STR(c.sas, "");
}

TEST(conn_emulator_form)
{
    struct eh_conn c;
    char why[256];
    REQUIRE(parse("Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;"
                  "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;",
                  &c, why, sizeof(why)) == 0);
    CHECK_EQ_STR(c.host, "localhost");
    CHECK_EQ_INT(c.port, 5672);
    CHECK(!c.tls);
    CHECK(c.dev_emulator);
    CHECK_EQ_STR(c.key_name, "RootManageSharedAccessKey");
    CHECK_EQ_STR(c.key, "SAS_KEY_VALUE");
    CHECK_EQ_STR(c.entity, "");
}

TEST(conn_case_order_ports_blanks)
{
    struct eh_conn c;
    char why[256];
    /* keys in any case and order, blanks around parts, unknown key ignored, ;; */
    REQUIRE(parse(" entitypath = hub1 ;;USEDEVELOPMENTEMULATOR=True; sharedaccesskey=k==;"
                  "SHAREDACCESSKEYNAME=n;TransportType=Amqp;endpoint=SB://127.0.0.1:5673/",
                  &c, why, sizeof(why)) == 0);
    CHECK_EQ_STR(c.host, "127.0.0.1");
    CHECK_EQ_INT(c.port, 5673);
    CHECK(!c.tls);
    CHECK_EQ_STR(c.entity, "hub1");
    CHECK_EQ_STR(c.key, "k==");
    REQUIRE(parse("Endpoint=sb://[::1]:15672/;UseDevelopmentEmulator=true", &c, why,
                  sizeof(why)) == 0);
    CHECK_EQ_STR(c.host, "::1");
    CHECK_EQ_INT(c.port, 15672);
    REQUIRE(parse("Endpoint=sb://127.8.9.10;UseDevelopmentEmulator=TRUE", &c, why, sizeof(why)) == 0);
    CHECK_EQ_INT(c.port, 5672);
    /* a TLS endpoint with an explicit port; emulator=false is the default */
    REQUIRE(parse("Endpoint=sb://ns.servicebus.windows.net:443/;UseDevelopmentEmulator=false;"
                  "SharedAccessKeyName=a;SharedAccessKey=b", &c, why, sizeof(why)) == 0);
    CHECK_EQ_INT(c.port, 443);
    CHECK(c.tls);
    /* a loopback host with a port but no UseDevelopmentEmulator: TLS to that port */
    REQUIRE(parse("Endpoint=sb://localhost:15671/;SharedAccessKeyName=a;SharedAccessKey=b;"
                  "EntityPath=h", &c, why, sizeof(why)) == 0);
    CHECK_EQ_STR(c.host, "localhost");
    CHECK_EQ_INT(c.port, 15671);
    CHECK(c.tls);
    CHECK(!c.dev_emulator);
    /* no credentials at all: the caller uses Entra ID */
    REQUIRE(parse("Endpoint=sb://ns.servicebus.windows.net/;EntityPath=h", &c, why, sizeof(why)) == 0);
    CHECK_EQ_STR(c.key_name, "");
    CHECK_EQ_STR(c.key, "");
    CHECK_EQ_INT(c.port, 5671);
}

TEST(conn_shared_access_signature)
{
    struct eh_conn c;
    char why[256];
    const char *tok = "SharedAccessSignature sr=sb%3A%2F%2Fns.example%2Fh&sig=abc%3D&se=17&skn=n";
    char s[512];
    snprintf(s, sizeof(s), "Endpoint=sb://ns.example/;SharedAccessSignature=%s;EntityPath=h", tok);
    REQUIRE(parse(s, &c, why, sizeof(why)) == 0);
    CHECK_EQ_STR(c.sas, tok);
    CHECK_EQ_STR(c.key, "");
    CHECK_EQ_STR(c.key_name, "");
}

struct bad {
    const char *s;
    const char *why; /* a substring the reason must hold */
};

TEST(conn_bad_strings_say_why_without_secrets)
{
    static const struct bad bad[] = {
        {"", "empty"},
        {"SharedAccessKeyName=n;SharedAccessKey=SECRETKEY", "Endpoint is missing"},
        {"Endpoint=https://ns.example/;SharedAccessKeyName=n;SharedAccessKey=SECRETKEY",
         "Endpoint must start with sb://"},
        {"Endpoint=sb://;SharedAccessKeyName=n;SharedAccessKey=SECRETKEY", "Endpoint has no host"},
        {"Endpoint=sb://ns.example:0/", "Endpoint port must be 1..65535"},
        {"Endpoint=sb://ns.example:65536/", "Endpoint port must be 1..65535"},
        {"Endpoint=sb://ns.example:99999999999999999999/", "Endpoint port must be 1..65535"},
        {"Endpoint=sb://ns.example:/", "Endpoint port must be 1..65535"},
        {"Endpoint=sb://ns.example/hub1", "no path"},
        {"Endpoint=sb://[::1/", "unclosed ["},
        {"Endpoint=sb://ns.example/;SharedAccessKey=SECRETKEY",
         "SharedAccessKey is given without SharedAccessKeyName"},
        {"Endpoint=sb://ns.example/;SharedAccessKeyName=n",
         "SharedAccessKeyName is given without SharedAccessKey"},
        {"Endpoint=sb://ns.example/;SharedAccessKeyName=n;SharedAccessKey=SECRETKEY;"
         "SharedAccessSignature=SharedAccessSignature sr=x",
         "not both"},
        {"Endpoint=sb://ns.example/;SharedAccessKeyName=n;SharedAccessKey=SECRETKEY;"
         "sharedaccesskey=SECRETKEY2",
         "SharedAccessKey is given twice"},
        {"Endpoint=sb://ns.example/;SharedAccessKeyName=n;SharedAccessKey=", "SharedAccessKey is empty"},
        {"Endpoint=sb://ns.example/;SECRETKEY", "part 2 is not Key=Value"},
        {"Endpoint=sb://ns.example/;UseDevelopmentEmulator=yes", "must be true or false"},
        {"Endpoint=sb://ns.example/;EntityPath=a/b", "EntityPath"},
        {"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=n;SharedAccessKey=SECRETKEY;"
         "UseDevelopmentEmulator=true",
         "plain AMQP is only allowed to a loopback development emulator"},
        {"Endpoint=sb://128.0.0.1;UseDevelopmentEmulator=true", "loopback"},
        {"Endpoint=sb://localhost.evil.example;UseDevelopmentEmulator=true", "loopback"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct eh_conn c;
        char why[256] = "unset";
        int rc = parse(bad[i].s, &c, why, sizeof(why));
        if (rc != -EINVAL)
            HFAIL("case %zu: rc %d, want -EINVAL", i, rc);
        if (!strstr(why, bad[i].why))
            HFAIL("case %zu: why \"%s\" lacks \"%s\"", i, why, bad[i].why);
        if (strstr(why, "SECRETKEY"))
            HFAIL("case %zu: why echoes the key: %s", i, why);
        CHECK_EQ_STR(c.key, ""); /* nothing left behind on failure */
        CHECK_EQ_STR(c.host, "");
    }
    /* too long values name their key */
    char s[1200], why[256];
    struct eh_conn c;
    char longv[600];
    memset(longv, 'k', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    snprintf(s, sizeof(s), "Endpoint=sb://h/;SharedAccessKeyName=n;SharedAccessKey=%s", longv);
    CHECK_EQ_INT(parse(s, &c, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "SharedAccessKey is longer than 255 bytes") != NULL);
    CHECK(strstr(why, "kkkk") == NULL);
    snprintf(s, sizeof(s), "Endpoint=sb://%s/", longv);
    CHECK_EQ_INT(parse(s, &c, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "Endpoint host is longer than 255 bytes") != NULL);
}

TEST(loopback)
{
    CHECK(eh_host_is_loopback("localhost"));
    CHECK(eh_host_is_loopback("LocalHost"));
    CHECK(eh_host_is_loopback("127.0.0.1"));
    CHECK(eh_host_is_loopback("127.255.0.9"));
    CHECK(eh_host_is_loopback("::1"));
    CHECK(!eh_host_is_loopback("::2"));
    CHECK(!eh_host_is_loopback("10.0.0.1"));
    CHECK(!eh_host_is_loopback("127.example.com"));
    CHECK(!eh_host_is_loopback("localhost.example.com"));
    CHECK(!eh_host_is_loopback(""));
}

TEST(url_encode_like_encodeURIComponent)
{
    char out[128];
    CHECK_EQ_INT(eh_url_encode("sb://h/eh1/$management", out, sizeof(out)), 34);
    CHECK_EQ_STR(out, "sb%3A%2F%2Fh%2Feh1%2F%24management");
    CHECK(eh_url_encode("a+b=c d&e?f#g", out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "a%2Bb%3Dc%20d%26e%3Ff%23g");
    CHECK(eh_url_encode("AZaz09-_.!~*'()", out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "AZaz09-_.!~*'()");
    CHECK(eh_url_encode("\xc3\xa9", out, sizeof(out)) > 0); /* UTF-8 bytes, upper hex */
    CHECK_EQ_STR(out, "%C3%A9");
    CHECK_EQ_INT(eh_url_encode("::", out, 6), -ENOSPC);
    CHECK_EQ_INT(eh_url_encode("::", out, 7), 6);
}

TEST(sas_published_vector)
{
    /* eventhubs.md §1.3, computed there with Node crypto and Python hmac */
    char tok[512];
    REQUIRE(eh_sas_token("sb://localhost/eh1", "RootManageSharedAccessKey", "SAS_KEY_VALUE",
                         1700000000, tok, sizeof(tok)) == 0);
    CHECK_EQ_STR(tok, "SharedAccessSignature sr=sb%3A%2F%2Flocalhost%2Feh1"
                      "&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D"
                      "&se=1700000000&skn=RootManageSharedAccessKey");
}

/* base64 then percent-encode, by hand, for the independent check */
static void expect_sig(const char *enc_uri, const char *se, const char *key, char *out, size_t n)
{
    char msg[512];
    snprintf(msg, sizeof(msg), "%s\n%s", enc_uri, se);
    unsigned char mac[32];
    unsigned int ml = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, strlen(msg), mac, &ml);
    char b64[64];
    EVP_EncodeBlock((unsigned char *)b64, mac, 32);
    size_t o = 0;
    for (const char *p = b64; *p && o + 4 < n; p++) {
        if (*p == '+') o += (size_t)snprintf(out + o, n - o, "%%2B");
        else if (*p == '/') o += (size_t)snprintf(out + o, n - o, "%%2F");
        else if (*p == '=') o += (size_t)snprintf(out + o, n - o, "%%3D");
        else out[o++] = *p;
    }
    out[o] = '\0';
}

TEST(sas_matches_independent_hmac)
{
    /* a base64-looking key is used as text, never decoded (pitfall 8.2) */
    const char *key = "q1w2e3R4/T5y6U7i8o9P0a+sdfGHJKL=";
    char tok[1024], sig[128], want[1024];
    REQUIRE(eh_sas_token("amqps://ns.servicebus.windows.net/hub/ConsumerGroups/$Default/Partitions/3",
                         "listen key", key, 1893456000, tok, sizeof(tok)) == 0);
    const char *enc = "amqps%3A%2F%2Fns.servicebus.windows.net%2Fhub%2FConsumerGroups%2F%24Default"
                      "%2FPartitions%2F3";
    expect_sig(enc, "1893456000", key, sig, sizeof(sig));
    snprintf(want, sizeof(want), "SharedAccessSignature sr=%s&sig=%s&se=1893456000&skn=listen%%20key",
             enc, sig);
    CHECK_EQ_STR(tok, want);
}

TEST(sas_errors)
{
    char tok[512];
    CHECK_EQ_INT(eh_sas_token("", "n", "k", 10, tok, sizeof(tok)), -EINVAL);
    CHECK_EQ_INT(eh_sas_token("sb://h/e", "", "k", 10, tok, sizeof(tok)), -EINVAL);
    CHECK_EQ_INT(eh_sas_token("sb://h/e", "n", "", 10, tok, sizeof(tok)), -EINVAL);
    CHECK_EQ_INT(eh_sas_token("sb://h/e", "n", "k", 0, tok, sizeof(tok)), -EINVAL);
    /* exact fit and one byte short */
    REQUIRE(eh_sas_token("sb://h/e", "n", "k", 10, tok, sizeof(tok)) == 0);
    size_t need = strlen(tok) + 1;
    char small[512];
    CHECK_EQ_INT(eh_sas_token("sb://h/e", "n", "k", 10, small, need), 0);
    CHECK_EQ_STR(small, tok);
    for (size_t n = 1; n < need; n++) {
        int rc = eh_sas_token("sb://h/e", "n", "k", 10, small, n);
        if (rc != -ENOSPC || small[0] != '\0')
            HFAIL("n=%zu: rc %d out \"%s\"", n, rc, small);
    }
}

TEST(sas_verify_round_trip)
{
    char tok[512], aud[256];
    REQUIRE(eh_sas_token("sb://localhost/eh1/ConsumerGroups/$Default/Partitions/0",
                         "RootManageSharedAccessKey", "SAS_KEY_VALUE", 2000, tok, sizeof(tok)) == 0);
    CHECK_EQ_INT(eh_sas_verify(tok, "RootManageSharedAccessKey", "SAS_KEY_VALUE", 1999, aud,
                               sizeof(aud)), 0);
    CHECK_EQ_STR(aud, "sb://localhost/eh1/ConsumerGroups/$Default/Partitions/0");
    /* without the prefix, NULL audience, fields reordered */
    CHECK_EQ_INT(eh_sas_verify(tok + strlen("SharedAccessSignature "), "RootManageSharedAccessKey",
                               "SAS_KEY_VALUE", 0, NULL, 0), 0);
    char *sr = strstr(tok, "sr="), *amp = strchr(sr, '&');
    char reordered[512];
    snprintf(reordered, sizeof(reordered), "%s&%.*s", amp + 1, (int)(amp - sr), sr);
    CHECK_EQ_INT(eh_sas_verify(reordered, "RootManageSharedAccessKey", "SAS_KEY_VALUE", 0, aud,
                               sizeof(aud)), 0);
    CHECK_EQ_STR(aud, "sb://localhost/eh1/ConsumerGroups/$Default/Partitions/0");
    /* the published vector verifies too */
    CHECK_EQ_INT(eh_sas_verify("SharedAccessSignature sr=sb%3A%2F%2Flocalhost%2Feh1"
                               "&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D"
                               "&se=1700000000&skn=RootManageSharedAccessKey",
                               "RootManageSharedAccessKey", "SAS_KEY_VALUE", 1699999999, aud,
                               sizeof(aud)), 0);
    CHECK_EQ_STR(aud, "sb://localhost/eh1");
    /* audience too small */
    CHECK_EQ_INT(eh_sas_verify(tok, "RootManageSharedAccessKey", "SAS_KEY_VALUE", 0, aud, 10),
                 -ENOSPC);
}

TEST(sas_verify_rejects)
{
    char tok[512], aud[256] = "x";
    REQUIRE(eh_sas_token("sb://localhost/eh1", "RootManageSharedAccessKey", "SAS_KEY_VALUE",
                         2000, tok, sizeof(tok)) == 0);
    CHECK_EQ_INT(eh_sas_verify(tok, "RootManageSharedAccessKey", "OTHER_KEY", 0, aud, sizeof(aud)),
                 -EACCES);
    CHECK_EQ_STR(aud, "");
    CHECK_EQ_INT(eh_sas_verify(tok, "listen", "SAS_KEY_VALUE", 0, aud, sizeof(aud)), -EACCES);
    CHECK_EQ_INT(eh_sas_verify(tok, "RootManageSharedAccessKey", "SAS_KEY_VALUE", 2000, aud,
                               sizeof(aud)), -ETIMEDOUT);
    CHECK_EQ_INT(eh_sas_verify(tok, "RootManageSharedAccessKey", "SAS_KEY_VALUE", 5000, aud,
                               sizeof(aud)), -ETIMEDOUT);

    /* tampered: a later expiry, another audience, a flipped signature character */
    char t[512];
    snprintf(t, sizeof(t), "%s", tok);
    char *se = strstr(t, "&se=2000");
    REQUIRE(se != NULL);
    se[4] = '9';
    CHECK_EQ_INT(eh_sas_verify(t, "RootManageSharedAccessKey", "SAS_KEY_VALUE", 0, aud, sizeof(aud)),
                 -EACCES);
    snprintf(t, sizeof(t), "%s", tok);
    char *h = strstr(t, "eh1");
    h[2] = '2';
    CHECK_EQ_INT(eh_sas_verify(t, "RootManageSharedAccessKey", "SAS_KEY_VALUE", 0, aud, sizeof(aud)),
                 -EACCES);
    snprintf(t, sizeof(t), "%s", tok);
    char *sg = strstr(t, "&sig=") + 5;
    *sg = *sg == 'A' ? 'B' : 'A';
    CHECK_EQ_INT(eh_sas_verify(t, "RootManageSharedAccessKey", "SAS_KEY_VALUE", 0, aud, sizeof(aud)),
                 -EACCES);

    /* malformed */
    static const char *const bad[] = {
        "",
        "SharedAccessSignature ",
        "garbage",
        "sr=sb%3A%2F%2Fh&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D&se=1700000000",
        "sr=sb%3A%2F%2Fh&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D&skn=n",
        "sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D&se=1700000000&skn=n",
        "sr=sb%3A%2F%2Fh&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D&se=17x&skn=n",
        "sr=sb%3A%2F%2Fh&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D&se=-1&skn=n",
        "sr=sb%3A%2F%2Fh&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D&se=99999999999999999999&skn=n",
        "sr=sb%3A%2F%2Fh&sig=short&se=1700000000&skn=n",
        "sr=sb%3A%2F%2Fh&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D&se=1&se=2&skn=n",
        "sr=sb%3G%2F%2Fh&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D&se=1700000000&skn=n",
        "sr=sb%00&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D&se=1700000000&skn=n",
        "sr=&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D&se=1700000000&skn=n",
        "sr=sb%3A%2F%2Fh&sig=bXwnzzxeV2PFlM%2BGaXaWproC2URqPYHFIhvxuIqXTAA%3D&se=1700000000&skn=n&x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = eh_sas_verify(bad[i], "n", "SAS_KEY_VALUE", 0, aud, sizeof(aud));
        if (rc != -EINVAL)
            HFAIL("malformed %zu: rc %d, want -EINVAL", i, rc);
    }
}

TEST_MAIN()
