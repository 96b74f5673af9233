/*
 * tsquery_blob.c - see analysis/tsquery_blob.h. Compiled in place of
 * tree-sitter's lib.c (CMakeLists.txt): it includes it, then reads and
 * writes struct TSQuery, which only query.c defines.
 */
#include "lib.c"

#include "../tsquery_blob.h"

#define BLOB_MAGIC "golive-tsq1"

/* What must be equal for a blob's tables to mean the same thing. */
struct blob_head {
	char magic[12];
	uint32_t sizes[8]; /* of the private structs the tables hold */
	uint32_t abi, symbols, fields, states;
	uint16_t wildcard_root_pattern_count;
	uint16_t pad;
};

struct wbuf {
	char *v;
	size_t n, cap;
};

static void put(struct wbuf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n)
			cap *= 2;
		b->v = ts_realloc(b->v, cap);
		b->cap = cap;
	}
	if (n)
		memcpy(b->v + b->n, p, n);
	b->n += n;
}

static void put_u32(struct wbuf *b, uint32_t x)
{
	put(b, &x, sizeof(x));
}

/* An array: its element count, then its elements. */
#define PUT_ARRAY(b, a)                                                                            \
	do {                                                                                       \
		put_u32((b), (a).size);                                                            \
		put((b), (a).contents, (size_t)(a).size * sizeof(*(a).contents));                  \
	} while (0)

static void head_init(struct blob_head *h, const TSLanguage *lang, uint16_t wildcard)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, BLOB_MAGIC, sizeof(BLOB_MAGIC));
	h->sizes[0] = sizeof(QueryStep);
	h->sizes[1] = sizeof(PatternEntry);
	h->sizes[2] = sizeof(TSQueryPredicateStep);
	h->sizes[3] = sizeof(QueryPattern);
	h->sizes[4] = sizeof(StepOffset);
	h->sizes[5] = sizeof(Slice);
	h->sizes[6] = sizeof(TSQuery);
	h->sizes[7] = MAX_STEP_CAPTURE_COUNT;
	h->abi = ts_language_abi_version(lang);
	h->symbols = ts_language_symbol_count(lang);
	h->fields = ts_language_field_count(lang);
	h->states = ts_language_state_count(lang);
	h->wildcard_root_pattern_count = wildcard;
}

/* FNV-1a, 64 bits: catches a torn or damaged file, not an adversary. */
static uint64_t checksum(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
	return h;
}

void *tsquery_blob_write(const TSQuery *q, size_t *len)
{
	struct wbuf b = {0};
	struct blob_head h;
	uint64_t sum;

	head_init(&h, q->language, q->wildcard_root_pattern_count);
	put(&b, &h, sizeof(h));
	PUT_ARRAY(&b, q->captures.characters);
	PUT_ARRAY(&b, q->captures.slices);
	PUT_ARRAY(&b, q->predicate_values.characters);
	PUT_ARRAY(&b, q->predicate_values.slices);
	put_u32(&b, q->capture_quantifiers.size);
	for (uint32_t i = 0; i < q->capture_quantifiers.size; i++)
		PUT_ARRAY(&b, q->capture_quantifiers.contents[i]);
	PUT_ARRAY(&b, q->steps);
	PUT_ARRAY(&b, q->pattern_map);
	PUT_ARRAY(&b, q->predicate_steps);
	PUT_ARRAY(&b, q->patterns);
	PUT_ARRAY(&b, q->step_offsets);
	PUT_ARRAY(&b, q->negated_fields);
	PUT_ARRAY(&b, q->string_buffer);
	PUT_ARRAY(&b, q->repeat_symbols_with_rootless_patterns);
	sum = checksum(b.v, b.n);
	put(&b, &sum, sizeof(sum));
	*len = b.n;
	return b.v;
}

struct rbuf {
	const char *p;
	size_t n, at;
	int bad;
};

static uint32_t get_u32(struct rbuf *r)
{
	uint32_t x = 0;
	if (r->bad || r->n - r->at < sizeof(x)) {
		r->bad = 1;
		return 0;
	}
	memcpy(&x, r->p + r->at, sizeof(x));
	r->at += sizeof(x);
	return x;
}

/* Reads an array of count elements of size bytes into a new ts_malloc'd block. */
static void *get_block(struct rbuf *r, uint32_t *count, size_t size)
{
	uint32_t c = get_u32(r);
	void *v;

	if (r->bad || (size && c > (r->n - r->at) / size)) {
		r->bad = 1;
		*count = 0;
		return NULL;
	}
	*count = c;
	if (!c)
		return NULL;
	v = ts_malloc((size_t)c * size);
	memcpy(v, r->p + r->at, (size_t)c * size);
	r->at += (size_t)c * size;
	return v;
}

#define GET_ARRAY(r, a)                                                                            \
	do {                                                                                       \
		(a).contents = get_block((r), &(a).size, sizeof(*(a).contents));                   \
		(a).capacity = (a).size;                                                           \
	} while (0)

/* The cross-references ts_query_cursor follows without checking, checked. */
static int consistent(const TSQuery *q)
{
	uint32_t nsteps = q->steps.size, ncap = q->captures.slices.size;
	const TSLanguage *l = q->language;

	if (!nsteps || q->capture_quantifiers.size != q->patterns.size)
		return 0;
	for (uint32_t i = 0; i < ncap; i++)
		if (q->captures.slices.contents[i].offset +
		        (uint64_t)q->captures.slices.contents[i].length >
		    q->captures.characters.size)
			return 0;
	for (uint32_t i = 0; i < q->predicate_values.slices.size; i++)
		if (q->predicate_values.slices.contents[i].offset +
		        (uint64_t)q->predicate_values.slices.contents[i].length >
		    q->predicate_values.characters.size)
			return 0;
	for (uint32_t i = 0; i < q->capture_quantifiers.size; i++)
		if (q->capture_quantifiers.contents[i].size > ncap)
			return 0;
	for (uint32_t i = 0; i < nsteps; i++) {
		const QueryStep *s = &q->steps.contents[i];
		if (s->depth == PATTERN_DONE_MARKER)
			continue;
		if (s->symbol >= ts_language_symbol_count(l) && s->symbol != WILDCARD_SYMBOL &&
		    s->symbol != (TSSymbol)-1)
			return 0;
		if (s->field > ts_language_field_count(l))
			return 0;
		if (s->alternative_index != NONE && s->alternative_index >= nsteps)
			return 0;
		if (s->negated_field_list_id && s->negated_field_list_id >= q->negated_fields.size)
			return 0;
		if (s->supertype_symbol >= ts_language_symbol_count(l))
			return 0;
		for (unsigned k = 0; k < MAX_STEP_CAPTURE_COUNT; k++)
			if (s->capture_ids[k] != NONE && s->capture_ids[k] >= ncap)
				return 0;
	}
	if (q->steps.contents[nsteps - 1].depth != PATTERN_DONE_MARKER)
		return 0;
	if (q->negated_fields.size && q->negated_fields.contents[q->negated_fields.size - 1])
		return 0; /* each list ends with 0 */
	for (uint32_t i = 0; i < q->pattern_map.size; i++)
		if (q->pattern_map.contents[i].step_index >= nsteps ||
		    q->pattern_map.contents[i].pattern_index >= q->patterns.size)
			return 0;
	for (uint32_t i = 0; i < q->patterns.size; i++) {
		const QueryPattern *p = &q->patterns.contents[i];
		if (p->steps.offset + (uint64_t)p->steps.length > nsteps ||
		    p->predicate_steps.offset + (uint64_t)p->predicate_steps.length >
		        q->predicate_steps.size)
			return 0;
	}
	for (uint32_t i = 0; i < q->predicate_steps.size; i++) {
		const TSQueryPredicateStep *s = &q->predicate_steps.contents[i];
		if ((s->type == TSQueryPredicateStepTypeCapture && s->value_id >= ncap) ||
		    (s->type == TSQueryPredicateStepTypeString &&
		     s->value_id >= q->predicate_values.slices.size))
			return 0;
	}
	for (uint32_t i = 0; i < q->step_offsets.size; i++)
		if (q->step_offsets.contents[i].step_index >= nsteps)
			return 0;
	return q->wildcard_root_pattern_count <= q->pattern_map.size;
}

TSQuery *tsquery_blob_read(const void *blob, size_t len, const TSLanguage *lang)
{
	struct rbuf r = {blob, len, 0, 0};
	struct blob_head want, got;
	TSQuery *q;
	uint64_t sum;

	if (!blob || len < sizeof(got) + sizeof(sum))
		return NULL;
	memcpy(&sum, (const char *)blob + len - sizeof(sum), sizeof(sum));
	if (checksum(blob, len - sizeof(sum)) != sum)
		return NULL;
	r.n = len - sizeof(sum);
	memcpy(&got, blob, sizeof(got));
	head_init(&want, lang, got.wildcard_root_pattern_count);
	if (memcmp(&want, &got, sizeof(want)))
		return NULL;
	r.at = sizeof(got);

	q = ts_calloc(1, sizeof(*q));
	q->language = ts_language_copy(lang);
	q->wildcard_root_pattern_count = got.wildcard_root_pattern_count;
	GET_ARRAY(&r, q->captures.characters);
	GET_ARRAY(&r, q->captures.slices);
	GET_ARRAY(&r, q->predicate_values.characters);
	GET_ARRAY(&r, q->predicate_values.slices);
	{
		uint32_t n = get_u32(&r);
		if (!r.bad && n <= (r.n - r.at) / sizeof(uint32_t)) {
			q->capture_quantifiers.contents =
			    n ? ts_calloc(n, sizeof(CaptureQuantifiers)) : NULL;
			q->capture_quantifiers.size = q->capture_quantifiers.capacity = n;
			for (uint32_t i = 0; i < n; i++)
				GET_ARRAY(&r, q->capture_quantifiers.contents[i]);
		} else {
			r.bad = 1;
		}
	}
	GET_ARRAY(&r, q->steps);
	GET_ARRAY(&r, q->pattern_map);
	GET_ARRAY(&r, q->predicate_steps);
	GET_ARRAY(&r, q->patterns);
	GET_ARRAY(&r, q->step_offsets);
	GET_ARRAY(&r, q->negated_fields);
	GET_ARRAY(&r, q->string_buffer);
	GET_ARRAY(&r, q->repeat_symbols_with_rootless_patterns);
	if (r.bad || r.at != r.n || !consistent(q)) {
		ts_query_delete(q);
		return NULL;
	}
	return q;
}
