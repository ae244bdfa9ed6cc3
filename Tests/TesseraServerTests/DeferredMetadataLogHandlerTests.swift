import Foundation
import Logging
import Testing
@testable import TesseraServer

@Suite("Deferred metadata log handler")
struct DeferredMetadataLogHandlerTests {
    /// A line without its timestamp (the text before the first space).
    static func untimed(_ text: String) -> [String] {
        text.split(separator: "\n").map { String($0.drop { $0 != " " }) }
    }

    @Test("writes exactly what StreamLogHandler writes, with logger, provider and line metadata merged in its order")
    func sameOutput() {
        let provider = Logger.MetadataProvider { ["provided": "p", "shared": "from-provider"] }
        for withProvider in [false, true] {
            let plain = CapturedLines(), deferred = CapturedLines()
            let plainLogger = Logger(label: "tesserad") { StreamLogHandler(label: $0, stream: plain, metadataProvider: withProvider ? provider : nil) }
            let deferredLogger = Logger(label: "tesserad") {
                DeferredMetadataLogHandler(StreamLogHandler(label: $0, stream: deferred, metadataProvider: withProvider ? provider : nil))
            }
            for var logger in [plainLogger, deferredLogger] {
                logger.logLevel = .debug
                logger.info("no metadata")
                logger.trace("below the level")
                var request = logger
                request[metadataKey: "hb.request.id"] = "7"
                request[metadataKey: "shared"] = "from-logger"
                request.info("logger metadata")
                request.warning("line metadata", metadata: ["shared": "from-line", "z": "last"])
                request.error("an error")
            }
            #expect(Self.untimed(plain.text) == Self.untimed(deferred.text))
            #expect(Self.untimed(plain.text).count == 4)
        }
    }

    @Test("metadata set on the logger reads back, and the level is the stream's")
    func readsBack() {
        var handler = DeferredMetadataLogHandler(StreamLogHandler(label: "x", stream: CapturedLines(), metadataProvider: nil))
        handler[metadataKey: "a"] = "1"
        #expect(handler[metadataKey: "a"] == "1")
        #expect(handler.metadata == ["a": "1"])
        handler.logLevel = .error
        #expect(handler.logLevel == .error)
    }
}
