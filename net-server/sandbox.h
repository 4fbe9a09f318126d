/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sandbox.h - hk-net-server gives up what it no longer needs
 */
#ifndef HK_NET_SANDBOX_H
#define HK_NET_SANDBOX_H

int sandbox_drop_caps(void);
int sandbox_seccomp(void);
void sandbox_probe(void);

#endif /* HK_NET_SANDBOX_H */
