/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jsonnum.h - JSON numbers that read well and round-trip
 */
#ifndef HK_JSONNUM_H
#define HK_JSONNUM_H

#include <json-c/json.h>

struct json_object *jsonnum_new(double v);
void jsonnum_add(struct json_object *obj, const char *key, double v);

#endif /* HK_JSONNUM_H */
