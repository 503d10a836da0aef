/* The Q2_0 and Q2_0_G128 blocks as the shared walk (kquant-walk.h) sees them, for the x86 and AArch64 format
 * headers (x86/q2_0-x86.h, arm/q2_0-arm.h): weights d (c - 1), d the fp16 at byte 0, codes c (0..3) four
 * consecutive weights per byte after it, LSB first. Q2_0 has 64 weights; Q2_0_G128 (PrismML's, chosen by defining
 * KQ_Q2_0_G128 1 before the include) has 128, two such halves of 16 bytes under one d. */
#ifndef BN_Q2_0_BLOCK_H
#define BN_Q2_0_BLOCK_H

#include "bn_kquants.h"

#if defined(KQ_Q2_0_G128) && KQ_Q2_0_G128
#  define KQ_BLOCK BN_Q2_0_G128_BLOCK
#  define KQ_BLOCK_BYTES BN_Q2_0_G128_BLOCK_BYTES
#else
#  define KQ_BLOCK BN_Q2_0_BLOCK
#  define KQ_BLOCK_BYTES BN_Q2_0_BLOCK_BYTES
#endif

#endif
