/// Conversions of a JSON number to the element types, exact or correctly rounded: integers
/// from the decimal digits (never through Double, so 64-bit values beyond 2^53 survive),
/// floating point by exact arithmetic when the digits allow it, else by the C library's
/// correctly rounded conversion of the text.
extension JSONReader {
    /// The number as `T` if it is an integer that `T` holds (`1.0` and `1e2` included), else nil.
    func integer<T: FixedWidthInteger>(_ number: Number, as _: T.Type) -> T? {
        guard number.exact else { return nil }
        var magnitude = number.mantissa
        if magnitude != 0 {
            var exponent = number.exponent
            while exponent < 0 {
                guard magnitude % 10 == 0 else { return nil }
                magnitude /= 10
                exponent += 1
            }
            while exponent > 0 {
                let (product, overflow) = magnitude.multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                magnitude = product
                exponent -= 1
            }
        }
        guard number.negative, magnitude != 0 else { return T(exactly: magnitude) }
        // Negative: the two's complement of the magnitude, when T reaches that far down.
        guard T.isSigned, magnitude <= UInt64(T.max) + 1 else { return nil }
        return T(truncatingIfNeeded: ~magnitude &+ 1)
    }

    /// The nearest Float, or nil when the number is beyond Float's range.
    func float(_ number: Number) -> Float? { nearest(number, powers: Self.floatPowers) }

    /// The nearest Double, or nil when the number is beyond Double's range.
    func double(_ number: Number) -> Double? { nearest(number, powers: Self.doublePowers) }

    /// `powers` holds the powers of ten that are exact in `F`. When the mantissa is exact in
    /// `F` as well, one multiplication or division rounds once, so it gives the correctly
    /// rounded result; other numbers go through the C library's conversion of the text.
    private func nearest<F: BinaryFloatingPoint & LosslessStringConvertible>(_ number: Number, powers: [F]) -> F? {
        if number.exact, number.mantissa <= 1 << (F.significandBitCount + 1), abs(number.exponent) < powers.count {
            let mantissa = F(number.mantissa)
            let value = number.exponent < 0 ? mantissa / powers[-number.exponent] : mantissa * powers[number.exponent]
            return number.negative ? -value : value
        }
        guard let value = F(text(number)), value.isFinite else { return nil }
        return value
    }

    /// The number as a Double for a parameter; a number beyond Double's range is an error.
    func parameterDouble(_ number: Number) throws -> Double {
        guard let value = double(number) else {
            throw InferenceError.badRequest("the number \(text(number)) at byte \(number.range.lowerBound) is beyond the range of a 64-bit float")
        }
        return value
    }

    /// 10^0 … 10^10, each exact in Float.
    private static let floatPowers: [Float] = (0...10).map { Float(pow10: $0) }
    /// 10^0 … 10^22, each exact in Double.
    private static let doublePowers: [Double] = (0...22).map { Double(pow10: $0) }
}

private extension BinaryFloatingPoint {
    init(pow10 exponent: Int) {
        var value: Self = 1
        for _ in 0..<exponent { value *= 10 }
        self = value
    }
}
