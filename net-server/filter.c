// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * filter.c - compile a pcap expression once, run it on every frame
 *
 * libpcap compiles for Ethernet on a "dead" handle, so no capture device
 * is opened.  The snapshot length is 262144, more than any frame here:
 * a filter that accepts returns it, and the kernel would trim a frame to
 * a smaller accept value (sk_filter_trim_cap), cutting super-frames.
 *
 * In the server the program runs on libpcap's own interpreter.  In the
 * kernel it is attached to the TAP with TUNATTACHFILTER, which runs it on
 * frames queued towards the server: a frame it rejects is dropped there
 * and counted in the TAP's tx_dropped, never read.  struct bpf_insn and
 * struct sock_filter have the same layout, the classic BPF one.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "filter.h"

#define FILTER_SNAPLEN	262144

/**
 * filter_compile() - compile @expr for Ethernet frames into @f
 * @f:		the filter; left without an expression on failure
 * @expr:	pcap filter syntax, kept by reference
 * @why:	the compiler's message on failure
 * @size:	size of @why
 *
 * Return: 0, or -EINVAL with @why set
 */
int filter_compile(struct filter *f, const char *expr, char *why, size_t size)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, FILTER_SNAPLEN);
	int ret = 0;

	memset(f, 0, sizeof(*f));
	if (!p) {
		snprintf(why, size, "libpcap cannot open a handle for Ethernet");
		return -ENOMEM;
	}
	if (pcap_compile(p, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(why, size, "%s", pcap_geterr(p));
		ret = -EINVAL;
	} else {
		f->expr = expr;
	}
	pcap_close(p);
	return ret;
}

/**
 * filter_free() - release what filter_compile() made
 * @f:	the filter
 */
void filter_free(struct filter *f)
{
	if (f->expr)
		pcap_freecode(&f->prog);
	f->expr = NULL;
}

/**
 * filter_attach() - run @f in the kernel on frames towards @tapfd
 * @f:		a compiled filter
 * @tapfd:	a TAP descriptor; the filter covers every queue of the device
 *
 * Return: 0 or -errno
 */
int filter_attach(const struct filter *f, int tapfd)
{
	struct sock_fprog prog = {
		.len = (unsigned short)f->prog.bf_len,
		.filter = (struct sock_filter *)f->prog.bf_insns,
	};

	if (f->prog.bf_len > BPF_MAXINSNS)
		return -E2BIG;
	return ioctl(tapfd, TUNATTACHFILTER, &prog) ? -errno : 0;
}
