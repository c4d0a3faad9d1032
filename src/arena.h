/* arena.h - memory handed out in order and given back all at once.
 *
 * For data built once and dropped whole, such as a parsed document: an
 * allocation is a pointer bump inside a block, and freeing the arena frees
 * its few blocks, not each object.  Nothing is zeroed.
 */
#ifndef DROVER_ARENA_H
#define DROVER_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;	/* the block being filled, then older ones */
	size_t next_size;		/* bytes of the next block */
};

#define ARENA_INIT { NULL, 0 }

/* size bytes aligned for any object; NULL for size 0.  Aborts when memory
 * runs out. */
void *arena_alloc(struct arena *a, size_t size);
/* nmemb * size bytes, checked for overflow. */
void *arena_array(struct arena *a, size_t nmemb, size_t size);
/* A NUL-terminated copy of the n bytes at s. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Frees every block; the arena is empty and usable again. */
void arena_fini(struct arena *a);

#endif
