/*
 * bpf_trace_printk formatting with Linux semantics.
 *
 * The whole format is validated before anything is printed, as Linux does, so a program gets
 * -EINVAL for a bad format rather than half a line. Accepted conversions: %d %i %u %x %X %c
 * with optional l or ll, %p %px %pK, %s and %%, each with optional flags [-+ 0] and a width;
 * at most three arguments. Precision and every other conversion are refused.
 *
 * %s reads a string the program points to. Like Linux's fault-tolerant copy, a bad pointer
 * must not crash the host, so on Linux the string is read with process_vm_readv on our own
 * process, which reports EFAULT instead of faulting; an unreadable string prints as empty,
 * as in Linux.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__linux__)
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

#include "bpf2c_rt.h"

#define PRINTK_EINVAL (-22)
#define PRINTK_MAX_ARGS 3
/* Longest string one %s may print: Linux bounds the whole line the same way. */
#define PRINTK_MAX_STRING 512

enum conv_kind { CONV_INT, CONV_UINT, CONV_HEX, CONV_HEX_UPPER, CONV_CHAR, CONV_PTR, CONV_STR };

struct conv {
    enum conv_kind kind;
    int left;      /* '-' */
    int plus;      /* '+' */
    int space;     /* ' ' */
    int zero;      /* '0' */
    unsigned width;
    int longs;     /* 0, 1 (l) or 2 (ll) */
    size_t length; /* characters of the conversion after '%' */
};

struct out {
    char *buf;
    size_t cap; /* usable bytes, excluding the terminating NUL */
    size_t len;
};

static void put_char(struct out *o, char c)
{
    if (o->len < o->cap)
        o->buf[o->len++] = c;
}

static void put_repeat(struct out *o, char c, size_t n)
{
    while (n--)
        put_char(o, c);
}

static int is_flag(char c) { return c == '-' || c == '+' || c == ' ' || c == '0'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Parses the conversion that starts after a '%'. Returns 0 and fills *cv, or -1 when the
 * conversion is one Linux refuses.
 */
static int parse_conv(const char *s, struct conv *cv)
{
    size_t i = 0;
    memset(cv, 0, sizeof(*cv));
    for (; is_flag(s[i]); i++) {
        if (s[i] == '-') cv->left = 1;
        if (s[i] == '+') cv->plus = 1;
        if (s[i] == ' ') cv->space = 1;
        if (s[i] == '0') cv->zero = 1;
    }
    for (; is_digit(s[i]); i++) {
        if (cv->width > 1000)
            return -1; /* a width this large only serves to overflow */
        cv->width = cv->width * 10u + (unsigned)(s[i] - '0');
    }
    if (s[i] == 'p') {
        /* %p must stand alone or be %px / %pK: other %p extensions dereference kernel data. */
        char next = s[i + 1];
        if (next == 'x' || next == 'K') {
            i++;
        } else if (is_alnum(next)) {
            return -1;
        }
        cv->kind = CONV_PTR;
        cv->length = i + 1;
        return 0;
    }
    if (s[i] == 's' || s[i] == 'c') {
        cv->kind = s[i] == 's' ? CONV_STR : CONV_CHAR;
        cv->length = i + 1;
        return 0;
    }
    if (s[i] == 'l') {
        cv->longs = 1;
        i++;
        if (s[i] == 'l') {
            cv->longs = 2;
            i++;
        }
    }
    switch (s[i]) {
    case 'd':
    case 'i': cv->kind = CONV_INT; break;
    case 'u': cv->kind = CONV_UINT; break;
    case 'x': cv->kind = CONV_HEX; break;
    case 'X': cv->kind = CONV_HEX_UPPER; break;
    default: return -1;
    }
    cv->length = i + 1;
    return 0;
}

/* Pads a converted field to its width; zero padding goes between the sign and the digits. */
static void put_field(struct out *o, const struct conv *cv, const char *prefix, size_t prefix_len,
                      const char *body, size_t body_len, int numeric)
{
    size_t used = prefix_len + body_len;
    size_t pad = cv->width > used ? cv->width - used : 0;
    size_t k;
    if (!cv->left && !(cv->zero && numeric))
        put_repeat(o, ' ', pad);
    for (k = 0; k < prefix_len; k++)
        put_char(o, prefix[k]);
    if (!cv->left && cv->zero && numeric)
        put_repeat(o, '0', pad);
    for (k = 0; k < body_len; k++)
        put_char(o, body[k]);
    if (cv->left)
        put_repeat(o, ' ', pad);
}

static size_t utoa(uint64_t v, unsigned base, int upper, char *digits /* >= 20 bytes */)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    size_t n = 0, k;
    do {
        tmp[n++] = set[v % base];
        v /= base;
    } while (v);
    for (k = 0; k < n; k++)
        digits[k] = tmp[n - 1 - k];
    return n;
}

static void put_number(struct out *o, const struct conv *cv, uint64_t raw)
{
    char digits[24];
    char sign[1];
    size_t sign_len = 0, n;
    uint64_t v = raw;
    /* Without l, the argument is an int: Linux passes its low 32 bits. */
    if (cv->longs == 0) {
        v = (uint32_t)raw;
        if (cv->kind == CONV_INT)
            v = (uint64_t)(int64_t)(int32_t)(uint32_t)raw;
    }
    if (cv->kind == CONV_INT) {
        int64_t s = (int64_t)v;
        if (s < 0) {
            sign[0] = '-';
            sign_len = 1;
            v = 0 - v; /* magnitude, well defined for INT64_MIN */
        } else if (cv->plus) {
            sign[0] = '+';
            sign_len = 1;
        } else if (cv->space) {
            sign[0] = ' ';
            sign_len = 1;
        }
        n = utoa(v, 10, 0, digits);
    } else if (cv->kind == CONV_UINT) {
        n = utoa(v, 10, 0, digits);
    } else {
        n = utoa(v, 16, cv->kind == CONV_HEX_UPPER, digits);
    }
    put_field(o, cv, sign, sign_len, digits, n, 1);
}

#if defined(__linux__)
/* Copies len bytes of our own memory at addr without faulting: 0 on success, -1 if any byte
 * is unreadable. process_vm_readv reports EFAULT for unmapped memory; where a sandbox
 * forbids it, reading /proc/self/mem gives the same guarantee (EIO). */
static int copy_nofault(void *dst, uint64_t addr, size_t len)
{
    struct iovec local, remote;
    ssize_t r;
    int fd;
    local.iov_base = dst;
    local.iov_len = len;
    remote.iov_base = (void *)(uintptr_t)addr;
    remote.iov_len = len;
    r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (r >= 0)
        return (size_t)r == len ? 0 : -1;
    if (errno != ENOSYS && errno != EPERM)
        return -1;
    fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (addr > (uint64_t)INT64_MAX) {
        close(fd);
        return -1;
    }
    r = pread(fd, dst, len, (off_t)addr);
    close(fd);
    return r >= 0 && (size_t)r == len ? 0 : -1;
}
#endif

/* Reads up to cap bytes of a NUL-terminated string without faulting; returns its length. */
static size_t read_string(uint64_t addr, char *dst, size_t cap)
{
#if defined(__linux__)
    size_t got = 0;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        page = 4096;
    while (got < cap) {
        uint64_t at = addr + got;
        size_t chunk = (size_t)((uint64_t)page - at % (uint64_t)page);
        size_t k;
        if (at < addr)
            return 0; /* the address wrapped around */
        if (chunk > cap - got)
            chunk = cap - got;
        /* One page at a time, so a string that ends just before an unmapped page is still
         * read in full. */
        if (copy_nofault(dst + got, at, chunk) != 0)
            return 0; /* Linux prints a string it cannot read in full as empty */
        for (k = 0; k < chunk; k++) {
            if (dst[got + k] == '\0')
                return got + k;
        }
        got += chunk;
    }
    return got; /* no NUL within cap bytes: truncated, as strncpy would */
#else
    (void)addr;
    (void)dst;
    (void)cap;
    return 0;
#endif
}

int64_t bpf2c_rt_format_printk(char *buf, size_t buf_size, const char *fmt, uint64_t fmt_size,
                               uint64_t a1, uint64_t a2, uint64_t a3)
{
    const uint64_t args[PRINTK_MAX_ARGS] = {a1, a2, a3};
    struct out o;
    struct conv cv;
    size_t len, i;
    unsigned used = 0;

    if (buf == NULL || buf_size == 0 || fmt == NULL || fmt_size == 0)
        return PRINTK_EINVAL;
    /* The format must end inside the bytes the program vouched for. */
    len = strnlen(fmt, (size_t)fmt_size);
    if (len == fmt_size)
        return PRINTK_EINVAL;

    /* First pass: refuse the format before printing any of it. */
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)fmt[i];
        if (c >= 0x7f || (c < 0x20 && c != '\n' && c != '\t' && c != '\r' && c != '\v' && c != '\f'))
            return PRINTK_EINVAL;
        if (c != '%')
            continue;
        if (fmt[i + 1] == '%') {
            i++;
            continue;
        }
        if (parse_conv(fmt + i + 1, &cv) != 0)
            return PRINTK_EINVAL;
        if (++used > PRINTK_MAX_ARGS)
            return PRINTK_EINVAL;
        i += cv.length;
    }

    o.buf = buf;
    o.cap = buf_size - 1;
    o.len = 0;
    used = 0;
    for (i = 0; i < len; i++) {
        if (fmt[i] != '%') {
            put_char(&o, fmt[i]);
            continue;
        }
        if (fmt[i + 1] == '%') {
            put_char(&o, '%');
            i++;
            continue;
        }
        (void)parse_conv(fmt + i + 1, &cv);
        i += cv.length;
        switch (cv.kind) {
        case CONV_INT:
        case CONV_UINT:
        case CONV_HEX:
        case CONV_HEX_UPPER:
            put_number(&o, &cv, args[used]);
            break;
        case CONV_CHAR: {
            char c = (char)(uint8_t)args[used];
            put_field(&o, &cv, NULL, 0, &c, 1, 0);
            break;
        }
        case CONV_PTR: {
            /* Like Linux's %px: the raw value as 16 hex digits. */
            char digits[24];
            char padded[16];
            size_t n = utoa(args[used], 16, 0, digits), k;
            memset(padded, '0', sizeof(padded));
            for (k = 0; k < n; k++)
                padded[16 - n + k] = digits[k];
            put_field(&o, &cv, NULL, 0, padded, 16, 0);
            break;
        }
        case CONV_STR: {
            char str[PRINTK_MAX_STRING];
            size_t n = read_string(args[used], str, sizeof(str));
            put_field(&o, &cv, NULL, 0, str, n, 0);
            break;
        }
        }
        used++;
    }
    o.buf[o.len] = '\0';
    return (int64_t)o.len;
}
