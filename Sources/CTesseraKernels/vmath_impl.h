/*
 * The vector math of vmath_internal.h, written once for any vector width: vmath_internal.h
 * includes this file twice, with TSK_VM_WIDTH 256 (AVX2+FMA) and 512 (AVX-512F), after
 * defining the small vocabulary below for that width. Each function is named with the width
 * as suffix (tsk_exp256, tsk_exp512). Both widths run the same operations in the same order,
 * lane by lane, so they give the same bits (a NaN result is NaN in both, though which
 * operand's NaN propagates, and so its sign, is up to the compiler's operand order).
 *
 * Vocabulary (VF a float vector, VI an int32 vector, VM a lane mask):
 *   VN(name)            name with the width appended
 *   VTARGET             the target attribute
 *   VSET1, VADD, VSUB, VMUL, VDIV, VMIN, VMAX, VFMADD(a, b, c) = a*b+c, VFNMADD = c-a*b,
 *   VFMSUB = a*b-c, VROUND (to nearest), VTOI (float to int32, nearest), VI_SET1, VI_ADD,
 *   VI_SUB, VI_SRAI1 (arithmetic >> 1), VI_SHL23, VASF (int32 bits as float)
 *   VLT, VGT            ordered comparisons, giving a VM
 *   VSEL(m, a, b)       b where m, else a
 *   VZERO_WHERE(m, a)   0 where m, else a
 *   VALL(m)             every lane of m set
 *   VABS(a), VOR_SIGN(a, s)   |a|; a with the sign bit of s or-ed in
 *
 * The file undefines its vocabulary (and TSK_VM_WIDTH) at the end, ready for the next width.
 * Not a public header; no include guard on purpose.
 */

/*
 * e^x to about 1 ulp (Cephes-style): x = n ln2 + r with |r| <= ln2 / 2, e^r from a degree-6
 * polynomial, 2^n built in the exponent bits. Inputs below ~-87.3 (where the result would be
 * denormal) give exactly 0, inputs above ~88.4 give +inf and NaN stays NaN, so callers can
 * feed masked (-inf) logits without special cases.
 */
VTARGET static inline VF VN(tsk_exp)(VF x) {
    const VF lo = VSET1(-87.33654f), hi = VSET1(88.37626f);
    VM underflow = VLT(x, lo);
    VM overflow = VGT(x, hi);
    /* max/min return their second operand when one is NaN: keep x second so NaN survives. */
    VF c = VMIN(hi, VMAX(lo, x));
    VF n = VROUND(VMUL(c, VSET1(1.44269504088896341f)));
    /* ln2 split in two so n * ln2_hi is exact and r keeps its low bits. */
    VF r = VFNMADD(n, VSET1(0.693359375f), c);
    r = VFNMADD(n, VSET1(-2.12194440e-4f), r);
    VF p = VSET1(1.9875691500e-4f);
    p = VFMADD(p, r, VSET1(1.3981999507e-3f));
    p = VFMADD(p, r, VSET1(8.3334519073e-3f));
    p = VFMADD(p, r, VSET1(4.1665795894e-2f));
    p = VFMADD(p, r, VSET1(1.6666665459e-1f));
    p = VFMADD(p, r, VSET1(5.0000001201e-1f));
    p = VFMADD(p, VMUL(r, r), VADD(r, VSET1(1.0f)));
    /* n is in [-126, 128]; 128 would wrap the exponent, so scale by 2^(n-1) twice there. */
    VI ni = VTOI(n);
    VI half = VI_SRAI1(ni);
    VF s1 = VASF(VI_SHL23(VI_ADD(half, VI_SET1(127))));
    VF s2 = VASF(VI_SHL23(VI_ADD(VI_SUB(ni, half), VI_SET1(127))));
    VF y = VMUL(VMUL(p, s1), s2);
    y = VZERO_WHERE(underflow, y);
    return VSEL(overflow, y, VSET1(__builtin_inff()));
}

/*
 * erf and erfc of a = |z| together, each accurate to a few ulp, for callers that know
 * a^2 exactly as sq_hi + sq_lo (|sq_lo| <= ulp(sq_hi) / 2, from an FMA). a must be clamped
 * to at most ~12 (erfc underflows from 10.1 on, erf rounds to 1 from 3.9 on); NaN gives NaN.
 *
 * Below 0.75, erf(a) = a * P(a^2) and erfc = 1 - erf (erf <= 0.72 there, so the subtraction
 * loses at most a couple of bits). From 0.75 on, erfc(a) = e^(-a^2) * s * R(s) with
 * s = 2 / (2 + a), which maps [0.75, inf) into a bounded interval where erfc(a) e^(a^2) / s is
 * smooth; erf = 1 - erfc. P (degree 5 in a^2) and R (degree 8) are relative-minimax fits made
 * for this code, to about 1.5e-9 and 5e-9. e^(-a^2) is taken as e^(-sq_hi) (1 - sq_lo): from
 * a rounded a^2 alone, erfc(7) would already be off by ~50 ulp.
 */
VTARGET static inline void VN(tsk_erf_parts)(VF a, VF sq_hi, VF sq_lo, VF *erf_a, VF *erfc_a) {
    const VF one = VSET1(1.0f);
    VM small = VLT(a, VSET1(0.75f));
    VF p = VSET1(-6.749511652e-4f);
    p = VFMADD(p, sq_hi, VSET1(5.114345395e-3f));
    p = VFMADD(p, sq_hi, VSET1(-2.683462453e-2f));
    p = VFMADD(p, sq_hi, VSET1(1.128337657e-1f));
    p = VFMADD(p, sq_hi, VSET1(-3.761261876e-1f));
    p = VFMADD(p, sq_hi, VSET1(1.128379165e+0f));
    VF erf_small = VMUL(a, p);
    if (VALL(small)) {
        /* Every lane is in the polynomial's range: skip the exp and the division. */
        *erf_a = erf_small;
        *erfc_a = VSUB(one, erf_small);
        return;
    }
    VF s = VDIV(VSET1(2.0f), VADD(VSET1(2.0f), a));
    VF r = VSET1(-5.258469571e-2f);
    r = VFMADD(r, s, VSET1(2.666358734e-1f));
    r = VFMADD(r, s, VSET1(-4.690561650e-1f));
    r = VFMADD(r, s, VSET1(2.714439839e-1f));
    r = VFMADD(r, s, VSET1(-2.812094215e-2f));
    r = VFMADD(r, s, VSET1(2.048071299e-1f));
    r = VFMADD(r, s, VSET1(2.423751710e-1f));
    r = VFMADD(r, s, VSET1(2.824856119e-1f));
    r = VFMADD(r, s, VSET1(2.820801175e-1f));
    VF e = VN(tsk_exp)(VSUB(VSET1(0.0f), sq_hi));
    e = VFNMADD(e, sq_lo, e);
    VF erfc_large = VMUL(e, VMUL(s, r));
    *erf_a = VSEL(small, VSUB(one, erfc_large), erf_small);
    *erfc_a = VSEL(small, erfc_large, VSUB(one, erf_small));
}

/* erf(x), odd, a few ulp over all floats; erf(+-inf) = +-1, NaN stays NaN. */
VTARGET static inline VF VN(tsk_erf)(VF x) {
    /* min returns its second operand for NaN: keep |x| second so NaN survives the clamp. */
    VF a = VMIN(VSET1(12.0f), VABS(x));
    VF hi = VMUL(a, a);
    VF lo = VFMSUB(a, a, hi);
    VF erf_a, erfc_a;
    VN(tsk_erf_parts)(a, hi, lo, &erf_a, &erfc_a);
    return VOR_SIGN(erf_a, x);
}

/*
 * GELU, x (1 + erf(x / sqrt 2)) / 2. For x < 0 the factor is erfc(|x| / sqrt 2), used
 * directly, so the far negative tail keeps its relative accuracy instead of cancelling to 0;
 * x^2 / 2 is split exactly from x, not from the rounded x / sqrt 2. gelu(-inf) is -inf * 0 =
 * NaN, as the scalar path gives.
 */
VTARGET static inline VF VN(tsk_gelu_erf)(VF x) {
    const VF half = VSET1(0.5f);
    VF xa = VMIN(VSET1(16.0f), VABS(x));
    VF a = VMUL(xa, VSET1(0.70710678118654752f));
    VF sq = VMUL(xa, xa);
    VF hi = VMUL(sq, half), lo = VMUL(VFMSUB(xa, xa, sq), half);
    VF erf_a, erfc_a;
    VN(tsk_erf_parts)(a, hi, lo, &erf_a, &erfc_a);
    VF factor = VSEL(VLT(x, VSET1(0.0f)), VADD(VSET1(1.0f), erf_a), erfc_a);
    return VMUL(VMUL(half, x), factor);
}

VTARGET static inline VF VN(tsk_sigmoid)(VF x) {
    const VF one = VSET1(1.0f);
    return VDIV(one, VADD(one, VN(tsk_exp)(VSUB(VSET1(0.0f), x))));
}

/* Cephes tanhf: an odd polynomial below 0.625, where 1 - 2 / (e^2x + 1) would cancel. */
VTARGET static inline VF VN(tsk_tanh)(VF x) {
    const VF one = VSET1(1.0f);
    VF ax = VABS(x);
    VF z = VMUL(x, x);
    VF p = VSET1(-5.70498872745e-3f);
    p = VFMADD(p, z, VSET1(2.06390887954e-2f));
    p = VFMADD(p, z, VSET1(-5.37397155531e-2f));
    p = VFMADD(p, z, VSET1(1.33314422036e-1f));
    p = VFMADD(p, z, VSET1(-3.33332819422e-1f));
    VF small = VFMADD(VMUL(p, z), x, x);
    VF e = VN(tsk_exp)(VADD(ax, ax));
    VF large = VSUB(one, VDIV(VSET1(2.0f), VADD(e, one)));
    large = VOR_SIGN(large, x);
    return VSEL(VLT(ax, VSET1(0.625f)), large, small);
}

/* GELU's tanh form, x / (1 + e^(-2u)) with u = sqrt(2 / pi) (x + 0.044715 x^3). */
VTARGET static inline VF VN(tsk_gelu_tanh)(VF x) {
    VF x3 = VMUL(VMUL(x, x), x);
    VF u = VMUL(VSET1(0.79788456080286536f), VFMADD(VSET1(0.044715f), x3, x));
    VF e = VN(tsk_exp)(VMUL(VSET1(-2.0f), u));
    return VDIV(x, VADD(VSET1(1.0f), e));
}

/* One vector of tsk_unary_f32's `op`. */
VTARGET static inline VF VN(tsk_unary_vec)(tsk_unary_op op, VF x) {
    switch (op) {
    case TSK_UNARY_RELU: return VMAX(VSET1(0.0f), x); /* NaN in x is returned */
    case TSK_UNARY_SIGMOID: return VN(tsk_sigmoid)(x);
    case TSK_UNARY_TANH: return VN(tsk_tanh)(x);
    case TSK_UNARY_ERF: return VN(tsk_erf)(x);
    case TSK_UNARY_GELU_ERF: return VN(tsk_gelu_erf)(x);
    case TSK_UNARY_GELU_TANH: return VN(tsk_gelu_tanh)(x);
    }
    return x;
}

#undef TSK_VM_WIDTH
#undef VTARGET
#undef VF
#undef VI
#undef VM
#undef VSET1
#undef VADD
#undef VSUB
#undef VMUL
#undef VDIV
#undef VMIN
#undef VMAX
#undef VFMADD
#undef VFNMADD
#undef VFMSUB
#undef VROUND
#undef VTOI
#undef VI_SET1
#undef VI_ADD
#undef VI_SUB
#undef VI_SRAI1
#undef VI_SHL23
#undef VASF
#undef VLT
#undef VGT
#undef VSEL
#undef VZERO_WHERE
#undef VALL
#undef VABS
#undef VOR_SIGN
