/*
 * prng.h
 *		Deterministic random numbers for ritual-generate: splitmix64 to seed,
 *		xoshiro256** to draw, one independent stream per (purpose, user).
 *
 * Every user draws from streams of its own, so a user's data depends only on
 * the seed and its id: the output is the same whatever the number of threads
 * or files, and changing one anomaly rate leaves the simulated sessions alone.
 */
#ifndef RITUAL_GENERATOR_PRNG_H
#define RITUAL_GENERATOR_PRNG_H

#include <stdint.h>

/* The purposes that get streams of their own. */
typedef enum PrngStream
{
	STREAM_TRAITS = 1,			/* a user's signup, engagement, country... */
	STREAM_PROFILE,				/* how a user's profile rows are written */
	STREAM_SESSIONS,			/* a user's simulated activity */
	STREAM_SURFACE,				/* how valid values are spelled */
	STREAM_ANOMALIES,			/* which rows are damaged or injected */
	STREAM_DAYS,				/* spike and drop-off days */
	STREAM_CALIBRATION			/* events per session, estimated once */
} PrngStream;

typedef struct Prng
{
	uint64_t	s[4];
} Prng;

static inline uint64_t
splitmix64_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static inline uint64_t
splitmix64_next(uint64_t *state)
{
	*state += UINT64_C(0x9E3779B97F4A7C15);
	return splitmix64_mix(*state);
}

/* Seed the stream (purpose, index) of a run; index is a user id or 0. */
static inline void
prng_seed(Prng *prng, uint64_t seed, PrngStream purpose, uint64_t index)
{
	/* mixing in stages keeps (purpose, index) pairs from aliasing */
	uint64_t	state = splitmix64_mix(splitmix64_mix(seed ^ UINT64_C(0x5EED)) +
									   (uint64_t) purpose);

	state = splitmix64_mix(state + index * UINT64_C(0x9E3779B97F4A7C15));
	for (int i = 0; i < 4; i++)
		prng->s[i] = splitmix64_next(&state);
}

static inline uint64_t
prng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** by Blackman and Vigna */
static inline uint64_t
prng_next(Prng *prng)
{
	uint64_t   *s = prng->s;
	uint64_t	result = prng_rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = prng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, 1). */
static inline double
prng_uniform(Prng *prng)
{
	return (double) (prng_next(prng) >> 11) * 0x1.0p-53;
}

/*
 * Uniform integer in [0, n), 0 < n <= 2^32 (all the generator needs): the
 * multiply-shift of Lemire, whose bias is below n / 2^32.
 */
static inline uint64_t
prng_below(Prng *prng, uint64_t n)
{
	return ((prng_next(prng) >> 32) * n) >> 32;
}

/* Uniform integer in [lo, hi]. */
static inline int64_t
prng_between(Prng *prng, int64_t lo, int64_t hi)
{
	return lo + (int64_t) prng_below(prng, (uint64_t) (hi - lo + 1));
}

#endif							/* RITUAL_GENERATOR_PRNG_H */
