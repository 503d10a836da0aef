/* The Q6_K block's geometry for the x86 kernels (AVX2 and AVX-512 VNNI, whose block arithmetic differs: their
 * files): 256 weights d sc_s (c_j - 32) with 6-bit codes c_j, sixteen int8 scales sc_s of 16-weight sub-blocks and
 * the fp16 d at the end; the -32 of every code is one term per block from the sub-blocks' activation sums. */
#ifndef BN_Q6_K_X86_H
#define BN_Q6_K_X86_H

#include "kquant-x86.h"

#define KQ_BLOCK BN_QK_BLOCK
#define KQ_BLOCK_BYTES BN_Q6_K_BLOCK_BYTES
#define KQ_GROUP 16
#define KQ_D_AT BN_Q6_K_D_AT
#define KQ_DMIN_AT (-1)

#endif
