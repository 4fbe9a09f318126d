// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz.c - libFuzzer target over hk-net-server's frame path
 *
 * Three ports that differ where the path branches: port 0 has every
 * offload, an address (IPv4 and IPv6) and an input filter; port 1 has no
 * offload (super-frames must be segmented, checksums completed) and an
 * output filter; port 2 takes checksums but no segmentation, and has a
 * small MTU.  The first input byte picks the input port; the rest is
 * what a read from that TAP returns: virtio-net header, then the frame.
 *
 * The fake xmit reads every byte it is given (so that ASan sees any
 * out-of-bounds piece) and checks what the path promises: nothing larger
 * than the port allows, no super-frame to a port that cannot take it, no
 * pending checksum to a port without checksum offload, and each segment
 * carrying a correct IPv4 header checksum.
 */
#include <linux/if_tun.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "server.h"

static struct server s;
static struct worker w;

static long fake_xmit(struct worker *wk, struct port *out, const struct iovec *iov, int n)
{
	static uint8_t frame[FRAME_MAX];
	struct virtio_net_hdr vh;
	struct frame_info fi;
	size_t len = 0;
	bool segment = n == 2 && iov[0].iov_len > VNET_HDR;	/* headers, then a slice */

	(void)wk;
	for (int i = 0; i < n; i++) {
		if (len + iov[i].iov_len > sizeof(frame))
			abort();
		memcpy(frame + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (len < VNET_HDR + ETH_HDR)
		abort();
	memcpy(&vh, frame, VNET_HDR);
	if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE && !(out->offloads & TUN_F_TSO4))
		abort();	/* a super-frame to a port that cannot take it */
	if ((vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !(out->offloads & TUN_F_CSUM))
		abort();	/* a checksum left to a port that cannot do it */
	if (!segment && vh.gso_type == VIRTIO_NET_HDR_GSO_NONE && len - VNET_HDR > FRAME_L2_MAX(out->mtu))
		abort();	/* a frame above the MTU */
	if (segment && !frame_parse(frame + VNET_HDR, len - VNET_HDR, &fi) && fi.l3 &&
	    len - VNET_HDR - fi.l3 > out->mtu)
		abort();	/* a segment above the MTU */
	if (segment && !frame_parse(frame + VNET_HDR, len - VNET_HDR, &fi) &&
	    fi.ethertype == 0x0800 && fi.l3 &&
	    csum_fold(csum_add(0, frame + VNET_HDR + fi.l3, fi.l4 - fi.l3)) != 0)
		abort();	/* a segment with a wrong IPv4 header checksum */
	return (long)len;
}

static void setup_port(int i, const char *spec, unsigned int offloads, unsigned int mtu)
{
	struct port *p = &s.port[i];

	snprintf(p->spec, sizeof(p->spec), "%s", spec);
	p->index = i;
	p->offloads = offloads;
	p->mtu = mtu;
	p->queues = 1;
}

static void compile(struct filter *f, const char *expr)
{
	char why[512];

	if (filter_compile(f, expr, why, sizeof(why))) {
		fprintf(stderr, "fuzz: '%s': %s\n", expr, why);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("hk-net-fuzz", LOG_LEVEL_SILENT);
	s.nports = 3;
	s.queues = 1;
	s.xmit = fake_xmit;
	s.worker = &w;
	switch_init(&s.macs, 300ULL * 1000000000ULL);
	setup_port(0, "a/tap0", TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6, 65520);
	setup_port(1, "b/tap0", 0, 1500);
	setup_port(2, "c/tap0", TUN_F_CSUM, 1280);
	s.port[0].respond = true;
	memcpy(s.port[0].resp.mac, (uint8_t[]){ 2, 0x68, 0x6b, 0, 0, 1 }, 6);
	if (responder_add(&s.port[0].resp, "10.0.0.1/24") || responder_add(&s.port[0].resp, "fd00::1/64"))
		abort();
	compile(&s.port[0].in, "not (udp port 9)");
	compile(&s.port[1].out, "not (tcp port 9 or icmp6 and ip6[40] == 129)");
	w.s = &s;
	w.epfd = -1;
	w.buf = malloc(FRAME_MAX);
	w.reply = malloc(FRAME_MAX);
	return w.buf && w.reply ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size - 1 > FRAME_MAX)
		return 0;
	memcpy(w.buf, data + 1, size - 1);
	path_frame(&w, &s.port[data[0] % 3], size - 1);
	return 0;
}
