// SPDX-License-Identifier: MIT
/*
 * ACL stage: ordered 5-tuple rules (source/destination prefix, protocol,
 * source/destination port ranges), first match wins, permit or deny; a
 * default action when none matches. Runs in front of any forwarding mode
 * on ports with `acl: true`. Frames with no 5-tuple to match — non-IP
 * (ARP, other ethertypes) and malformed ones (truncated or bad headers,
 * as the parser reports them) — get the default action: `default: deny`
 * lets nothing through that no rule permitted.
 *
 * Built on rte_acl: one context for IPv4 and one for IPv6; rule i gets
 * priority N - i (so the first configured rule wins) and userdata i + 1.
 * Per burst: one compact key per packet (network order, the layout the
 * field definitions below describe), one rte_acl_classify per family.
 * Per-rule hit counters live in the table, one row per worker.
 */
#include <errno.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_malloc.h>

#include "dp_internal.h"

#define ETH_P_IP4 0x0800
#define ETH_P_IP6 0x86dd

struct acl4_key {
	uint8_t proto;
	uint8_t pad[3];
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
};

struct acl6_key {
	uint8_t proto;
	uint8_t pad[3];
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

enum { F4_PROTO, F4_SRC, F4_DST, F4_SPORT, F4_DPORT, F4_NUM };
enum { F6_PROTO, F6_SRC0, F6_DST0 = F6_SRC0 + 4, F6_SPORT = F6_DST0 + 4,
       F6_DPORT, F6_NUM };

RTE_ACL_RULE_DEF(acl4_rule, F4_NUM);
RTE_ACL_RULE_DEF(acl6_rule, F6_NUM);

static void defs4(struct rte_acl_field_def *d)
{
	d[F4_PROTO] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1,
		.field_index = F4_PROTO, .input_index = 0,
		.offset = offsetof(struct acl4_key, proto) };
	d[F4_SRC] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4,
		.field_index = F4_SRC, .input_index = 1,
		.offset = offsetof(struct acl4_key, src) };
	d[F4_DST] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4,
		.field_index = F4_DST, .input_index = 2,
		.offset = offsetof(struct acl4_key, dst) };
	d[F4_SPORT] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2,
		.field_index = F4_SPORT, .input_index = 3,
		.offset = offsetof(struct acl4_key, sport) };
	d[F4_DPORT] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2,
		.field_index = F4_DPORT, .input_index = 3,
		.offset = offsetof(struct acl4_key, dport) };
}

static void defs6(struct rte_acl_field_def *d)
{
	int k;

	d[F6_PROTO] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_BITMASK, .size = 1,
		.field_index = F6_PROTO, .input_index = 0,
		.offset = offsetof(struct acl6_key, proto) };
	for (k = 0; k < 4; k++) {
		d[F6_SRC0 + k] = (struct rte_acl_field_def){
			.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4,
			.field_index = F6_SRC0 + k, .input_index = 1 + k,
			.offset = offsetof(struct acl6_key, src) + 4 * k };
		d[F6_DST0 + k] = (struct rte_acl_field_def){
			.type = RTE_ACL_FIELD_TYPE_MASK, .size = 4,
			.field_index = F6_DST0 + k, .input_index = 5 + k,
			.offset = offsetof(struct acl6_key, dst) + 4 * k };
	}
	d[F6_SPORT] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2,
		.field_index = F6_SPORT, .input_index = 9,
		.offset = offsetof(struct acl6_key, sport) };
	d[F6_DPORT] = (struct rte_acl_field_def){
		.type = RTE_ACL_FIELD_TYPE_RANGE, .size = 2,
		.field_index = F6_DPORT, .input_index = 9,
		.offset = offsetof(struct acl6_key, dport) };
}

void dp_fwd_acl(struct dp_worker *w, struct dp_burst *b)
{
	const struct dp_acl_table *t =
		atomic_load_explicit(&w->dp->acl, memory_order_acquire);
	struct acl4_key k4[DP_BURST];
	struct acl6_key k6[DP_BURST];
	const uint8_t *p4[DP_BURST], *p6[DP_BURST];
	uint32_t r4[DP_BURST], r6[DP_BURST];
	uint16_t i4[DP_BURST], i6[DP_BURST], n4 = 0, n6 = 0, i;
	uint64_t *hits = t->hits + w->idx * t->hits_stride;

	for (i = 0; i < b->n; i++) {
		const struct dp_parsed *m = &b->meta[i];
		const uint8_t *ip = b->data[i] + m->l3_off;
		bool l4 = m->layer >= DP_L4 &&
			  (m->l4_proto == 6 || m->l4_proto == 17);

		b->out[i] = 0; /* permitted unless denied below */
		if (m->reason != LR_R_NONE ||
		    (m->ethertype != ETH_P_IP4 && m->ethertype != ETH_P_IP6) ||
		    m->layer < DP_L3) {
			/* Non-IP or malformed: no 5-tuple to match, the
			 * default action decides (counted as its hit). */
			hits[t->nb_rules]++;
			if (t->dflt == DP_ACL_DENY) {
				b->out[i] = DP_OUT_DROP;
				b->reason[i] = LR_R_ACL_DENY;
			}
			continue;
		}
		if (m->ethertype == ETH_P_IP4) {
			struct acl4_key *k = &k4[n4];

			k->proto = m->l4_proto ? m->l4_proto : ip[9];
			memcpy(k->src, ip + 12, 4);
			memcpy(k->dst, ip + 16, 4);
			k->sport = l4 ? rte_cpu_to_be_16(m->sport) : 0;
			k->dport = l4 ? rte_cpu_to_be_16(m->dport) : 0;
			p4[n4] = (const uint8_t *)k;
			i4[n4++] = i;
		} else if (m->ethertype == ETH_P_IP6) {
			struct acl6_key *k = &k6[n6];

			k->proto = m->l4_proto;
			memcpy(k->src, ip + 8, 16);
			memcpy(k->dst, ip + 24, 16);
			k->sport = l4 ? rte_cpu_to_be_16(m->sport) : 0;
			k->dport = l4 ? rte_cpu_to_be_16(m->dport) : 0;
			p6[n6] = (const uint8_t *)k;
			i6[n6++] = i;
		}
	}
	if (n4) {
		if (t->ctx4)
			rte_acl_classify(t->ctx4, p4, r4, n4, 1);
		else
			memset(r4, 0, sizeof(r4[0]) * n4);
	}
	if (n6) {
		if (t->ctx6)
			rte_acl_classify(t->ctx6, p6, r6, n6, 1);
		else
			memset(r6, 0, sizeof(r6[0]) * n6);
	}
	for (i = 0; i < n4 + n6; i++) {
		uint32_t res = i < n4 ? r4[i] : r6[i - n4];
		uint16_t pi = i < n4 ? i4[i] : i6[i - n4];
		uint8_t act = res ? t->action[res - 1] : t->dflt;

		hits[res ? res - 1 : t->nb_rules]++;
		if (act == DP_ACL_DENY) {
			b->out[pi] = DP_OUT_DROP;
			b->reason[pi] = LR_R_ACL_DENY;
		}
	}
}

/* ---- building ---- */

static uint32_t mask_bits(int plen)
{
	return plen <= 0 ? 0 : plen >= 32 ? 32 : (uint32_t)plen;
}

static void rule_ports(struct rte_acl_field *f_s, struct rte_acl_field *f_d,
		       const struct dp_acl_rule_conf *c)
{
	f_s->value.u16 = c->sport_lo;
	f_s->mask_range.u16 = c->sport_hi;
	f_d->value.u16 = c->dport_lo;
	f_d->mask_range.u16 = c->dport_hi;
}

static void make4(struct acl4_rule *r, const struct dp_acl_rule_conf *c)
{
	uint32_t a;

	r->field[F4_PROTO].value.u8 = c->proto;
	r->field[F4_PROTO].mask_range.u8 = c->proto ? 0xff : 0;
	memcpy(&a, c->src.a, 4);
	r->field[F4_SRC].value.u32 = c->src.family ? rte_be_to_cpu_32(a) : 0;
	r->field[F4_SRC].mask_range.u32 = c->src.family ? c->src_plen : 0;
	memcpy(&a, c->dst.a, 4);
	r->field[F4_DST].value.u32 = c->dst.family ? rte_be_to_cpu_32(a) : 0;
	r->field[F4_DST].mask_range.u32 = c->dst.family ? c->dst_plen : 0;
	rule_ports(&r->field[F4_SPORT], &r->field[F4_DPORT], c);
}

static void make6(struct acl6_rule *r, const struct dp_acl_rule_conf *c)
{
	int k;
	uint32_t a;

	r->field[F6_PROTO].value.u8 = c->proto;
	r->field[F6_PROTO].mask_range.u8 = c->proto ? 0xff : 0;
	for (k = 0; k < 4; k++) {
		memcpy(&a, c->src.a + 4 * k, 4);
		r->field[F6_SRC0 + k].value.u32 =
			c->src.family ? rte_be_to_cpu_32(a) : 0;
		r->field[F6_SRC0 + k].mask_range.u32 =
			c->src.family ? mask_bits(c->src_plen - 32 * k) : 0;
		memcpy(&a, c->dst.a + 4 * k, 4);
		r->field[F6_DST0 + k].value.u32 =
			c->dst.family ? rte_be_to_cpu_32(a) : 0;
		r->field[F6_DST0 + k].mask_range.u32 =
			c->dst.family ? mask_bits(c->dst_plen - 32 * k) : 0;
	}
	rule_ports(&r->field[F6_SPORT], &r->field[F6_DPORT], c);
}

void dp_acl_free(struct dp_acl_table *t)
{
	if (t == NULL)
		return;
	rte_acl_free(t->ctx4);
	rte_acl_free(t->ctx6);
	rte_free(t->action);
	rte_free(t->hits);
	rte_free(t);
}

static struct rte_acl_ctx *ctx_new(const char *name, uint32_t nfields,
				   size_t n)
{
	struct rte_acl_param p = {
		.name = name,
		.socket_id = SOCKET_ID_ANY,
		.rule_size = RTE_ACL_RULE_SZ(nfields),
		.max_rule_num = (uint32_t)(n ? n : 1),
	};

	return rte_acl_create(&p);
}

int dp_acl_build(struct dp *dp, const struct dp_acl_rule_conf *rc, size_t n,
		 enum dp_acl_action dflt, struct dp_acl_table **out,
		 char *err, size_t errlen)
{
	struct rte_acl_config cfg4 = { .num_categories = 1,
				       .num_fields = F4_NUM };
	struct rte_acl_config cfg6 = { .num_categories = 1,
				       .num_fields = F6_NUM };
	struct dp_acl_table *t;
	size_t n4 = 0, n6 = 0, j;
	unsigned int gen = ++dp->table_gen;
	char nm[32];
	int ret = -ENOMEM;

	defs4(cfg4.defs);
	defs6(cfg6.defs);
	t = rte_zmalloc("lr_acl", sizeof(*t), 0);
	if (t == NULL)
		goto nomem;
	t->nb_rules = n;
	t->dflt = dflt;
	t->hits_stride = (n + 1 + 7) & ~(size_t)7; /* whole cache lines */
	t->action = rte_zmalloc("lr_acl_act", n + 1, 0);
	t->hits = rte_zmalloc("lr_acl_hits",
			      sizeof(uint64_t) * t->hits_stride *
				      (dp->nb_workers ? dp->nb_workers : 1),
			      DP_CACHE_LINE);
	if (t->action == NULL || t->hits == NULL)
		goto nomem;
	for (j = 0; j < n; j++) {
		t->action[j] = (uint8_t)rc[j].action;
		if (rc[j].family != 6)
			n4++;
		if (rc[j].family != 4)
			n6++;
	}
	snprintf(nm, sizeof(nm), "lr_acl4_%u", gen);
	t->ctx4 = n4 ? ctx_new(nm, F4_NUM, n4) : NULL;
	snprintf(nm, sizeof(nm), "lr_acl6_%u", gen);
	t->ctx6 = n6 ? ctx_new(nm, F6_NUM, n6) : NULL;
	if ((n4 && t->ctx4 == NULL) || (n6 && t->ctx6 == NULL))
		goto nomem;
	for (j = 0; j < n; j++) {
		struct rte_acl_rule_data d = {
			.category_mask = 1,
			.priority = (int32_t)(n - j),
			.userdata = (uint32_t)(j + 1),
		};

		if (rc[j].family != 6) {
			struct acl4_rule r = { .data = d };

			make4(&r, &rc[j]);
			ret = rte_acl_add_rules(t->ctx4,
						(struct rte_acl_rule *)&r, 1);
			if (ret < 0)
				goto bad_rule;
		}
		if (rc[j].family != 4) {
			struct acl6_rule r = { .data = d };

			make6(&r, &rc[j]);
			ret = rte_acl_add_rules(t->ctx6,
						(struct rte_acl_rule *)&r, 1);
			if (ret < 0)
				goto bad_rule;
		}
	}
	if (t->ctx4 && (ret = rte_acl_build(t->ctx4, &cfg4)) != 0) {
		snprintf(err, errlen, "acl: building IPv4 classifier: %s",
			 strerror(-ret));
		goto fail;
	}
	if (t->ctx6 && (ret = rte_acl_build(t->ctx6, &cfg6)) != 0) {
		snprintf(err, errlen, "acl: building IPv6 classifier: %s",
			 strerror(-ret));
		goto fail;
	}
	t->bytes = sizeof(*t) + n * 8 * (dp->nb_workers + 1);
	*out = t;
	return 0;
bad_rule:
	snprintf(err, errlen, "acl[%zu]: %s", j, strerror(-ret));
	goto fail;
nomem:
	snprintf(err, errlen, "acl: out of memory for %zu rules", n);
	ret = -ENOMEM;
fail:
	dp_acl_free(t);
	return ret;
}
