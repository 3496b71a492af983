// SPDX-License-Identifier: MIT
#include "lr_reasons.h"

static const char *const reason_names[LR_R__COUNT] = {
#define LR_REASON_NAME(e, name, desc) [LR_R_##e] = name,
	LR_FOREACH_REASON(LR_REASON_NAME)
#undef LR_REASON_NAME
};

static const char *const reason_descs[LR_R__COUNT] = {
#define LR_REASON_DESC(e, name, desc) [LR_R_##e] = desc,
	LR_FOREACH_REASON(LR_REASON_DESC)
#undef LR_REASON_DESC
};

const char *lr_reason_name(unsigned int r)
{
	return r < LR_R__COUNT ? reason_names[r] : "unknown";
}

const char *lr_reason_desc(unsigned int r)
{
	return r < LR_R__COUNT ? reason_descs[r] : "unknown reason";
}
