/* fmt.c - see fmt.h. */
#include "fmt.h"

char *ac_fmt_str(char *p, char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	return p;
}

char *ac_fmt_ulong(char *p, char *end, unsigned long v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof tmp);
	while (n && p < end)
		*p++ = tmp[--n];
	return p;
}

char *ac_fmt_long(char *p, char *end, long v)
{
	if (v < 0 && p < end) {
		*p++ = '-';
		return ac_fmt_ulong(p, end, (unsigned long)-(v + 1) + 1);
	}
	return ac_fmt_ulong(p, end, (unsigned long)v);
}
