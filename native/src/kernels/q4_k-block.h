/* The Q4_K and Q5_K blocks as the shared walk (kquant-walk.h) sees them, for the x86 and AArch64 format headers
 * (x86/q4_k-x86.h, arm/q4_k-arm.h); Q5_K is chosen by defining KQ_Q5_K 1 before the include. Both are 256 weights
 * with d at byte 0, dmin at 2 and the eight packed 6-bit scales and mins at 4 (bn_k4_scales_mins); the 4-bit
 * codes start at KQ_QS_AT, and Q5_K's fifth bits are the qh bytes before them. The mins need the activation sums
 * of the 32-weight sub-blocks. */
#ifndef BN_Q4_K_BLOCK_H
#define BN_Q4_K_BLOCK_H

#include "bn_kquants.h"

#if defined(KQ_Q5_K) && KQ_Q5_K
#  define KQ_BLOCK_BYTES BN_Q5_K_BLOCK_BYTES
#  define KQ_QS_AT BN_Q5_K_QS_AT
#else
#  undef KQ_Q5_K
#  define KQ_Q5_K 0
#  define KQ_BLOCK_BYTES BN_Q4_K_BLOCK_BYTES
#  define KQ_QS_AT BN_Q4_K_QS_AT
#endif
#define KQ_BLOCK BN_QK_BLOCK
#define KQ_GROUP 32
#define KQ_D_AT 0
#define KQ_DMIN_AT 2

_Static_assert(BN_Q5_K_SCALES_AT == BN_Q4_K_SCALES_AT, "Q5_K keeps d, dmin and the scales where Q4_K does");

#endif
