import CDistance
import Glibc

/// The distance kernels this process uses, and why: the C side picks the best instruction set the
/// CPU and OS support, or the one CALIBY_KERNELS names. A request it cannot honour (an unknown
/// name, or a set this CPU cannot run) is not an error that stops the engine: the best supported
/// set is used instead and `refusal` says so, for `caliby info --system` and the CLI's warning.
package struct Kernels {
    package let name: String
    /// Every set this CPU can run, portable first.
    package let supported: [String]
    /// Why CALIBY_KERNELS was not honoured, e.g. "CALIBY_KERNELS=avx512 ignored (this CPU cannot
    /// run them); using avx2"; nil when it was honoured or is unset.
    package let refusal: String?

    package static var active: Kernels {
        let mask = cdistance_supported()
        let supported = [CDISTANCE_PORTABLE, CDISTANCE_AVX2, CDISTANCE_AVX512]
            .filter { mask & (1 << $0.rawValue) != 0 }
            .map { String(cString: cdistance_implementation($0)!.pointee.name) }
        let name = String(cString: cdistance_active().pointee.name)
        let refusal = cdistance_refused().map { reason in
            let request = getenv("CALIBY_KERNELS").map { String(cString: $0) } ?? ""
            return "CALIBY_KERNELS=\(request) ignored (\(String(cString: reason))); using \(name)"
        }
        return Kernels(name: name, supported: supported, refusal: refusal)
    }
}
