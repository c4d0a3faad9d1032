/* arena.c - bump allocation in blocks that double up to a megabyte. */
#include "config.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xmalloc.h"

#define ARENA_FIRST (16 * 1024)
#define ARENA_MAX (1024 * 1024)
#define ARENA_ALIGN alignof(max_align_t)

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

static struct arena_block *
block_new(size_t cap)
{
	struct arena_block *b;

	if (cap > SIZE_MAX - sizeof *b)
		fatal("arena allocation overflow (%zu bytes)", cap);
	b = xmalloc(sizeof *b + cap);
	b->used = 0;
	b->cap = cap;
	return b;
}

void *
arena_alloc(struct arena *a, size_t size)
{
	struct arena_block *b = a->head;
	size_t need;

	if (size == 0)
		return NULL;
	if (size > SIZE_MAX - ARENA_ALIGN)
		fatal("arena allocation overflow (%zu bytes)", size);
	need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (b != NULL && b->cap - b->used >= need) {
		void *p = b->data + b->used;

		b->used += need;
		return p;
	}
	if (a->next_size == 0)
		a->next_size = ARENA_FIRST;
	if (need > a->next_size / 4) {
		/* Its own block, behind the one being filled so that the
		 * space left there is not given up. */
		struct arena_block *big = block_new(need);

		big->used = need;
		if (b != NULL) {
			big->next = b->next;
			b->next = big;
		} else {
			big->next = NULL;
			a->head = big;
		}
		return big->data;
	}
	b = block_new(a->next_size);
	if (a->next_size < ARENA_MAX)
		a->next_size *= 2;
	b->next = a->head;
	a->head = b;
	b->used = need;
	return b->data;
}

void *
arena_array(struct arena *a, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		fatal("arena allocation overflow (%zu x %zu bytes)", nmemb, size);
	return arena_alloc(a, nmemb * size);
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		fatal("arena allocation overflow (%zu bytes)", n);
	p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
arena_fini(struct arena *a)
{
	struct arena_block *b = a->head;

	while (b != NULL) {
		struct arena_block *next = b->next;

		free(b);
		b = next;
	}
	a->head = NULL;
	a->next_size = 0;
}
