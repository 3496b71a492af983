/* SPDX-License-Identifier: MIT */
/*
 * The YAML emitter of the config model (the loader is config.c): what
 * `show config` prints and `config save` writes. Emitting a loaded model
 * and loading the result gives the same model back, so save -> load -> save
 * writes identical bytes.
 */
#ifndef CP_CONFIG_SAVE_H
#define CP_CONFIG_SAVE_H

#include <stdio.h>

#include "cp_dp.h"

struct cp_control_conf;

/* The control: section every later emit writes (a copy; NULL: none). */
void cp_config_save_set_control(const struct cp_control_conf *c);
int cp_config_emit(const struct dp_config *c, const struct cp_dp_ops *ops,
		   FILE *f);
/* Atomically: a temporary file beside path, fsync, rename, fsync of the
 * directory. On failure path is untouched and err says what failed. */
int cp_config_save(const struct dp_config *c, const struct cp_dp_ops *ops,
		   const char *path, char *err, size_t errlen);

#endif
