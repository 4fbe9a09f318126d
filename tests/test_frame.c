// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_frame.c - hk-net-server's frame code: parsing, checksums, software
 * segmentation of TCP and UDP super-frames, and the responder's answers.
 * Checksums are verified with a plain RFC 1071 sum written here, byte
 * pair by byte pair, not with the code under test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "unit.h"
#include "frame.h"
#include "responder.h"

/* RFC 1071, the slow way: big-endian 16-bit words, end-around carry. */
static uint32_t ref_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The L4 checksum over pseudo-header, header and payload verifies (0xffff). */
static int l4_ok(const uint8_t *eth, size_t len, size_t l3, int v6, uint8_t proto)
{
	size_t l4 = l3 + (v6 ? 40 : 20), n = len - l4;
	uint8_t ph[40] = { 0 };
	uint32_t sum;

	if (v6) {
		memcpy(ph, eth + l3 + 8, 32);
		ph[34] = (uint8_t)(n >> 8);
		ph[35] = (uint8_t)n;
		ph[39] = proto;
		sum = ref_add(0, ph, 40);
	} else {
		memcpy(ph, eth + l3 + 12, 8);
		ph[9] = proto;
		ph[10] = (uint8_t)(n >> 8);
		ph[11] = (uint8_t)n;
		sum = ref_add(0, ph, 12);
	}
	return ref_fold(ref_add(sum, eth + l4, n)) == 0xffff;
}

static size_t put_eth(uint8_t *f, uint16_t type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	memcpy(f, macs, 12);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return 14;
}

/* An IPv6 header at @l3, fd..1 to fd..2, @proto next. */
static void put_ipv6(uint8_t *f, size_t l3, uint8_t proto)
{
	f[l3] = 0x60;
	f[l3 + 6] = proto;
	f[l3 + 7] = 64;
	f[l3 + 8] = 0xfd;
	f[l3 + 23] = 1;
	f[l3 + 24] = 0xfd;
	f[l3 + 39] = 2;
}

/* A TCP/IPv4 (or v6) super-frame of @payload bytes, FIN|PSH|CWR set. */
static size_t super_tcp(uint8_t *f, int v6, size_t payload)
{
	size_t l3 = put_eth(f, v6 ? 0x86dd : 0x0800), l4 = l3 + (v6 ? 40 : 20);

	memset(f + l3, 0, 60);
	if (v6) {
		put_ipv6(f, l3, IPPROTO_TCP);
	} else {
		f[l3] = 0x45;
		f[l3 + 4] = 0x12;	/* id 0x1234 */
		f[l3 + 5] = 0x34;
		f[l3 + 8] = 64;
		f[l3 + 9] = IPPROTO_TCP;
		memcpy(f + l3 + 12, (uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
	}
	f[l4 + 4] = 0xff;		/* seq 0xfffffff0: wraps */
	f[l4 + 5] = 0xff;
	f[l4 + 6] = 0xff;
	f[l4 + 7] = 0xf0;
	f[l4 + 12] = 0x50;
	f[l4 + 13] = 0x80 | 0x10 | 0x08 | 0x01;	/* CWR ACK PSH FIN */
	for (size_t i = 0; i < payload; i++)
		f[l4 + 20 + i] = (uint8_t)(i * 7 + 3);
	return l4 + 20 + payload;
}

struct collected {
	int n;
	uint8_t frame[64][2048];
	size_t len[64];
};

static int collect(void *ctx, const struct iovec *iov, int n)
{
	struct collected *c = ctx;
	size_t len = 0;

	assert_true(c->n < 64);
	for (int i = 0; i < n; i++) {
		assert_true(len + iov[i].iov_len <= sizeof(c->frame[0]));
		memcpy(c->frame[c->n] + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	c->len[c->n++] = len;
	return 0;
}

static void check_tcp_segments(int v6, unsigned int mtu, size_t want_mss)
{
	static uint8_t f[FRAME_ETH_MAX];
	static struct collected c;
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
		.gso_size = 1448,
	};
	size_t payload = 10000, len = super_tcp(f, v6, payload), l3 = 14, l4 = l3 + (v6 ? 40 : 20);
	size_t off = 0, segs = (payload + want_mss - 1) / want_mss;
	int n;

	memset(&c, 0, sizeof(c));
	n = frame_segment(&vh, f, len, mtu, collect, &c);
	assert_int_equal(n, (int)segs);
	for (int i = 0; i < n; i++) {
		const uint8_t *s = c.frame[i] + VNET_HDR, *tcp = s + l4;
		size_t slen = c.len[i] - VNET_HDR, plen = slen - l4 - 20;
		uint32_t seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | tcp[6] << 8 | tcp[7];
		struct virtio_net_hdr out;

		memcpy(&out, c.frame[i], VNET_HDR);
		assert_int_equal(out.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		assert_int_equal(out.flags, 0);
		assert_int_equal(plen, i == n - 1 ? payload - off : want_mss);
		assert_true(slen - l3 <= mtu);
		if (v6) {
			assert_int_equal(s[l3 + 4] << 8 | s[l3 + 5], 20 + plen);
		} else {
			assert_int_equal(s[l3 + 2] << 8 | s[l3 + 3], 40 + plen);
			assert_int_equal(s[l3 + 4] << 8 | s[l3 + 5], 0x1234 + i);
			assert_int_equal(ref_fold(ref_add(0, s + l3, 20)), 0xffff);
		}
		assert_int_equal(seq, (uint32_t)(0xfffffff0u + off));
		assert_int_equal(!!(tcp[13] & 0x80), i == 0);		/* CWR first */
		assert_int_equal(!!(tcp[13] & 0x09), i == n - 1);	/* FIN, PSH last */
		assert_true(tcp[13] & 0x10);				/* ACK on all */
		assert_true(l4_ok(s, slen, l3, v6, IPPROTO_TCP));
		assert_memory_equal(tcp + 20, f + l4 + 20 + off, plen);
		off += plen;
	}
	assert_int_equal(off, payload);
}

static void test_segment_tcp4(void **state)
{
	(void)state;
	check_tcp_segments(0, 1500, 1448);
}

static void test_segment_tcp6(void **state)
{
	(void)state;
	check_tcp_segments(1, 1500, 1440);	/* 1448 + 60 is above 1500 */
}

/* A port with a smaller MTU gets smaller TCP segments. */
static void test_segment_tcp_small_mtu(void **state)
{
	(void)state;
	check_tcp_segments(0, 1000, 960);
	check_tcp_segments(1, 1280, 1220);
}

static size_t super_udp6(uint8_t *f, size_t payload)
{
	size_t l3 = put_eth(f, 0x86dd), l4 = l3 + 40;

	memset(f + l3, 0, 48);
	put_ipv6(f, l3, IPPROTO_UDP);
	f[l4 + 1] = 99;
	f[l4 + 3] = 53;
	for (size_t i = 0; i < payload; i++)
		f[l4 + 8 + i] = (uint8_t)(i / 1000);
	return l4 + 8 + payload;
}

static void test_segment_udp(void **state)
{
	static uint8_t f[FRAME_ETH_MAX];
	static struct collected c;
	struct virtio_net_hdr vh = { .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_UDP_L4, .gso_size = 1000 };
	size_t len = super_udp6(f, 3500);

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(frame_segment(&vh, f, len, 1500, collect, &c), 4);
	for (int i = 0; i < 4; i++) {
		const uint8_t *s = c.frame[i] + VNET_HDR;
		size_t plen = i == 3 ? 500 : 1000;

		assert_int_equal(c.len[i] - VNET_HDR, 14 + 48 + plen);
		assert_int_equal(s[58] << 8 | s[59], 8 + plen);	/* UDP length */
		assert_true(l4_ok(s, c.len[i] - VNET_HDR, 14, 1, IPPROTO_UDP));
		assert_int_equal(s[62], i);
	}
	/* datagrams keep their size: too large for the port is an error */
	assert_int_equal(frame_segment(&vh, f, len, 1000, collect, &c), -EMSGSIZE);
}

static void test_segment_refuses(void **state)
{
	static uint8_t f[FRAME_ETH_MAX];
	struct virtio_net_hdr vh = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV6, .gso_size = 1448 };
	struct collected *c = NULL;
	size_t len = super_tcp(f, 0, 3000);

	(void)state;
	/* the GSO type says IPv6, the frame is IPv4 */
	assert_int_equal(frame_segment(&vh, f, len, 1500, collect, c), -EINVAL);
	/* a TCP header cut short */
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	assert_int_equal(frame_segment(&vh, f, 14 + 20 + 10, 1500, collect, c), -EINVAL);
	/* gso_size 0 */
	vh.gso_size = 0;
	assert_int_equal(frame_segment(&vh, f, len, 1500, collect, c), -EINVAL);
}

static void test_vnet_check(void **state)
{
	struct virtio_net_hdr vh = { 0 };

	(void)state;
	assert_int_equal(frame_vnet_check(&vh, 60), 0);
	vh.flags = 0x80;
	assert_int_equal(frame_vnet_check(&vh, 60), -EINVAL);
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = 50;
	vh.csum_offset = 16;
	assert_int_equal(frame_vnet_check(&vh, 60), -EINVAL);
	vh.csum_offset = 6;
	assert_int_equal(frame_vnet_check(&vh, 60), 0);
	vh.gso_type = 3;		/* UFO: not accepted */
	vh.gso_size = 100;
	assert_int_equal(frame_vnet_check(&vh, 60), -EINVAL);
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN;
	assert_int_equal(frame_vnet_check(&vh, 60), 0);
	vh.gso_size = 0;
	assert_int_equal(frame_vnet_check(&vh, 60), -EINVAL);
}

/* A checksum left partial (pseudo-header sum in place) is completed,
 * odd length included, and restored for ports that take offloads. */
static void test_csum_complete(void **state)
{
	uint8_t f[200] = { 0 };
	size_t l3 = put_eth(f, 0x0800), l4 = l3 + 20, len = l4 + 8 + 101;
	struct virtio_net_hdr vh = { .flags = 1, .csum_start = (uint16_t)l4, .csum_offset = 6 };
	struct frame_info fi;
	uint16_t saved, partial;

	(void)state;
	f[l3] = 0x45;
	f[l3 + 2] = (uint8_t)((len - l3) >> 8);
	f[l3 + 3] = (uint8_t)(len - l3);
	f[l3 + 9] = IPPROTO_UDP;
	memcpy(f + l3 + 12, (uint8_t[]){ 192, 168, 1, 1, 192, 168, 1, 2 }, 8);
	f[l4 + 5] = 8 + 101;
	for (int i = 0; i < 101; i++)
		f[l4 + 8 + i] = (uint8_t)(0xf0 + i);
	assert_int_equal(frame_parse(f, len, &fi), 0);
	assert_int_equal(fi.hlen, l4 + 8);
	partial = (uint16_t)~csum_fold(csum_pseudo(f, &fi, len - l4));
	memcpy(f + l4 + 6, &partial, 2);
	assert_int_equal(frame_csum_complete(f, len, &vh, &saved), 1);
	assert_true(l4_ok(f, len, l3, 0, IPPROTO_UDP));
	frame_csum_restore(f, &vh, saved);
	assert_memory_equal(f + l4 + 6, &partial, 2);
}

static void test_parse(void **state)
{
	uint8_t f[100] = { 0 };
	struct frame_info fi;

	(void)state;
	put_eth(f, 0x8100);
	f[16] = 0x88;		/* 802.1Q, then 802.1ad is not nested this way: */
	f[17] = 0xa8;		/* a second tag, then IPv4 */
	f[20] = 0x08;
	f[22] = 0x45;
	f[22 + 9] = IPPROTO_UDP;
	assert_int_equal(frame_parse(f, 22 + 28, &fi), 0);
	assert_int_equal(fi.vlans, 2);
	assert_int_equal(fi.l3, 22);
	assert_int_equal(fi.hlen, 22 + 28);
	assert_int_equal(frame_parse(f, 22 + 27, &fi), -EINVAL);	/* UDP cut */
	assert_int_equal(frame_parse(f, 13, &fi), -EINVAL);
	f[22] = 0x44;							/* IHL 4 */
	assert_int_equal(frame_parse(f, 60, &fi), -EINVAL);
}

static void test_responder(void **state)
{
	static const uint8_t ip_us[4] = { 10, 0, 0, 1 }, ip_asker[4] = { 10, 0, 0, 2 };
	struct responder r = { .mac = { 2, 0x68, 0x6b, 1, 2, 3 } };
	static uint8_t reply[FRAME_MAX];
	uint8_t f[100] = { 0 };
	struct frame_info fi;
	size_t rlen = 0, l2 = put_eth(f, 0x0806);

	(void)state;
	assert_int_equal(responder_add(&r, "10.0.0.1/24"), 0);
	assert_int_equal(responder_add(&r, "10.0.0.2/24"), -EEXIST);
	assert_int_equal(responder_add(&r, "fd00::1/129"), -EINVAL);
	assert_int_equal(responder_add(&r, "fd00::1/64"), 0);
	assert_int_equal(responder_add(&r, "10.0.0.300/24"), -EINVAL);
	memset(f, 0xff, 6);
	memcpy(f + l2, (uint8_t[]){ 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2, 10, 0, 0, 2,
				    0, 0, 0, 0, 0, 0, 10, 0, 0, 1 }, 28);
	assert_int_equal(frame_parse(f, l2 + 28, &fi), 0);
	assert_int_equal(responder_answer(&r, f, l2 + 28, &fi, reply, &rlen), ANSWER_ARP);
	assert_int_equal(rlen, VNET_HDR + l2 + 28);
	assert_memory_equal(reply + VNET_HDR, f + l2 + 8, 6);	/* to the asker */
	assert_memory_equal(reply + VNET_HDR + 6, r.mac, 6);
	assert_int_equal(reply[VNET_HDR + l2 + 7], 2);			/* a reply */
	assert_memory_equal(reply + VNET_HDR + l2 + 8, r.mac, 6);	/* sender: us */
	assert_memory_equal(reply + VNET_HDR + l2 + 14, ip_us, 4);
	assert_memory_equal(reply + VNET_HDR + l2 + 24, ip_asker, 4);
	/* for another address: switched as usual */
	f[l2 + 27] = 9;
	assert_int_equal(responder_answer(&r, f, l2 + 28, &fi, reply, &rlen), ANSWER_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_tcp4),
		cmocka_unit_test(test_segment_tcp6),
		cmocka_unit_test(test_segment_tcp_small_mtu),
		cmocka_unit_test(test_segment_udp),
		cmocka_unit_test(test_segment_refuses),
		cmocka_unit_test(test_vnet_check),
		cmocka_unit_test(test_csum_complete),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_responder),
	};

	return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
