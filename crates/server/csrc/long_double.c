/*
 * INCRBYFLOAT and HINCRBYFLOAT compute in C's long double, as Redis does:
 * the x87 80-bit format on x86-64, IEEE quad on aarch64. Rust has no such
 * type, so the three steps Redis takes (strtold over the whole argument,
 * the addition, "%.17Lf" with trailing zeros cut) run here, in the same C
 * library Redis uses. Values cross into Rust as opaque bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a long double as Rust holds it (no platform has more). */
#define MOAT_LD_BYTES 16

_Static_assert(sizeof(long double) <= MOAT_LD_BYTES, "long double fits the buffer");

static long double load(const unsigned char *bytes) {
    long double value;
    memcpy(&value, bytes, sizeof value);
    return value;
}

static void store(long double value, unsigned char *bytes) {
    memset(bytes, 0, MOAT_LD_BYTES);
    memcpy(bytes, &value, sizeof value);
}

/* The whole of text[0..len) read by strtold: 1 and the value when Redis's
 * string2ld accepts it (no leading space, nothing left over, no NaN, no
 * overflow or underflow to zero), else 0. `text` need not end in NUL. */
int moat_ld_parse(const char *text, size_t len, unsigned char *out) {
    char buf[5 * 1024];
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0])) return 0;
    char *end;
    errno = 0;
    long double value = strtold(buf, &end);
    if (*end != '\0' || (size_t)(end - buf) != len) return 0;
    if (errno == EINVAL || isnan(value)) return 0;
    if (errno == ERANGE && (isinf(value) || value == 0.0L)) return 0;
    store(value, out);
    return 1;
}

/* a + b into out; 1 when the sum is finite. */
int moat_ld_add(const unsigned char *a, const unsigned char *b, unsigned char *out) {
    long double sum = load(a) + load(b);
    store(sum, out);
    return !(isnan(sum) || isinf(sum));
}

/* 1 when the value is neither infinite nor NaN. */
int moat_ld_is_finite(const unsigned char *a) {
    long double value = load(a);
    return !(isnan(value) || isinf(value));
}

/* Redis's human form of a finite value: "%.17Lf", trailing zeros after
 * the point cut (and the point itself if nothing follows), "-0" as "0".
 * Returns the length written, 0 when it does not fit. */
size_t moat_ld_format_human(const unsigned char *a, char *buf, size_t size) {
    long double value = load(a);
    if (isnan(value) || isinf(value)) return 0;
    int n = snprintf(buf, size, "%.17Lf", value);
    if (n < 0 || (size_t)n + 1 > size) return 0;
    size_t len = (size_t)n;
    if (memchr(buf, '.', len) != NULL) {
        while (len > 0 && buf[len - 1] == '0') len--;
        if (len > 0 && buf[len - 1] == '.') len--;
    }
    if (len == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        len = 1;
    }
    return len;
}

/* An integer as a long double (exact for any 64-bit value on x87). */
void moat_ld_from_i64(long long v, unsigned char *out) {
    store((long double)v, out);
}
