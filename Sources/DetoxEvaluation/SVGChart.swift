import Foundation

/// Small self-contained SVG charts for the report (no scripts, no external fonts).
public enum SVGChart {
    public struct Series: Sendable {
        public var name: String
        public var color: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, color: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.color = color
            self.points = points
        }
    }

    static let width = 560.0, height = 260.0
    static let left = 52.0, right = 16.0, top = 28.0, bottom = 40.0

    /// Axis bounds with a little room, never empty.
    static func bounds(_ values: [Double], includeZero: Bool = false) -> (Double, Double) {
        let finite = values.filter(\.isFinite)
        var low = finite.min() ?? 0
        var high = finite.max() ?? 1
        if includeZero {
            low = Swift.min(low, 0)
            high = Swift.max(high, 0)
        }
        if low == high {
            low -= 0.5
            high += 0.5
        }
        let pad = (high - low) * 0.05
        return (low - pad, high + pad)
    }

    static func number(_ value: Double) -> String {
        let magnitude = Swift.abs(value)
        if magnitude == 0 { return "0" }
        if magnitude >= 1000 || magnitude < 0.01 { return String(format: "%.2e", value) }
        return String(format: magnitude >= 10 ? "%.1f" : "%.3f", value)
    }

    static func frame(
        title: String, xLabel: String, yRange: (Double, Double), xRange: (Double, Double), body: String,
        legend: [Series]
    ) -> String {
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        var svg =
            #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-label="\#(HTMLReport.escape(title))">"#
        svg += #"<text x="\#(left)" y="18" class="chart-title">\#(HTMLReport.escape(title))</text>"#
        svg += #"<rect x="\#(left)" y="\#(top)" width="\#(plotWidth)" height="\#(plotHeight)" class="plot-area"/>"#
        for i in 0...4 {
            let fraction = Double(i) / 4
            let y = top + plotHeight * (1 - fraction)
            let value = yRange.0 + (yRange.1 - yRange.0) * fraction
            svg += #"<line x1="\#(left)" x2="\#(left + plotWidth)" y1="\#(y)" y2="\#(y)" class="grid"/>"#
            svg += #"<text x="\#(left - 6)" y="\#(y + 4)" class="tick" text-anchor="end">\#(number(value))</text>"#
            let x = left + plotWidth * fraction
            let xValue = xRange.0 + (xRange.1 - xRange.0) * fraction
            svg +=
                #"<text x="\#(x)" y="\#(top + plotHeight + 16)" class="tick" text-anchor="middle">\#(number(xValue))</text>"#
        }
        svg +=
            #"<text x="\#(left + plotWidth / 2)" y="\#(height - 6)" class="axis-label" text-anchor="middle">\#(HTMLReport.escape(xLabel))</text>"#
        svg += body
        var legendX = left + plotWidth
        for series in legend.reversed() {
            legendX -= 12 + Double(series.name.count) * 7
            svg += #"<rect x="\#(legendX)" y="9" width="10" height="10" fill="\#(series.color)"/>"#
            svg += #"<text x="\#(legendX + 13)" y="18" class="tick">\#(HTMLReport.escape(series.name))</text>"#
        }
        return svg + "</svg>"
    }

    /// Line chart of several series sharing axes.
    public static func lines(title: String, xLabel: String, series: [Series]) -> String {
        let xs = series.flatMap { $0.points.map(\.x) }
        let ys = series.flatMap { $0.points.map(\.y) }
        let xRange = (xs.min() ?? 0, Swift.max(xs.max() ?? 1, (xs.min() ?? 0) + 1))
        let yRange = bounds(ys)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - xRange.0) / (xRange.1 - xRange.0) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - yRange.0) / (yRange.1 - yRange.0)) * plotHeight }
        var body = ""
        for s in series where !s.points.isEmpty {
            let path = s.points.filter { $0.y.isFinite }.map { String(format: "%.1f,%.1f", px($0.x), py($0.y)) }.joined(
                separator: " ")
            body += #"<polyline points="\#(path)" fill="none" stroke="\#(s.color)" stroke-width="2"/>"#
            if s.points.count <= 60 {
                for p in s.points where p.y.isFinite {
                    body += String(
                        format: #"<circle cx="%.1f" cy="%.1f" r="2.5" fill="%@"/>"#, px(p.x), py(p.y), s.color)
                }
            }
        }
        return frame(title: title, xLabel: xLabel, yRange: yRange, xRange: xRange, body: body, legend: series)
    }

    /// Overlaid histograms of values in `[0, 1]` (toxicity probabilities), as outlined bars.
    public static func histogram(
        title: String, series: [(name: String, color: String, values: [Double])], bins: Int = 20
    ) -> String {
        var counts: [[Double]] = []
        for s in series {
            var c = [Double](repeating: 0, count: bins)
            for v in s.values where v.isFinite {
                c[Swift.min(bins - 1, Swift.max(0, Int(v * Double(bins))))] += 1
            }
            counts.append(c)
        }
        let maxCount = counts.flatMap { $0 }.max() ?? 1
        let yRange = (0.0, Swift.max(1, maxCount) * 1.05)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let barWidth = plotWidth / Double(bins)
        var body = ""
        for (index, s) in series.enumerated() {
            for b in 0..<bins where counts[index][b] > 0 {
                let h = counts[index][b] / yRange.1 * plotHeight
                body += String(
                    format:
                        #"<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%@" fill-opacity="0.45" stroke="%@"/>"#,
                    left + Double(b) * barWidth + 1, top + plotHeight - h, barWidth - 2, h, s.color, s.color)
            }
        }
        let legend = series.map { Series(name: $0.name, color: $0.color, points: []) }
        return frame(
            title: title, xLabel: "toxicity (probability of the toxic label)", yRange: yRange, xRange: (0, 1),
            body: body, legend: legend)
    }

    /// One row per sample: a segment from its "before" to its "after" value.
    public static func beforeAfter(
        title: String, before: [Double], after: [Double], beforeColor: String, afterColor: String
    ) -> String {
        let n = Swift.min(before.count, after.count)
        let order = (0..<n).sorted { before[$0] > before[$1] }
        let xRange = (0.0, Double(Swift.max(n - 1, 1)))
        let yRange = bounds(before + after)
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - xRange.0) / (xRange.1 - xRange.0) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - yRange.0) / (yRange.1 - yRange.0)) * plotHeight }
        var body = ""
        for (rank, i) in order.enumerated() {
            let x = px(Double(rank))
            let color = after[i] <= before[i] ? afterColor : "#c0392b"
            body += String(
                format: #"<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%@" stroke-width="1.5"/>"#, x, x,
                py(before[i]), py(after[i]), color)
            body += String(format: #"<circle cx="%.1f" cy="%.1f" r="3" fill="%@"/>"#, x, py(before[i]), beforeColor)
            body += String(format: #"<circle cx="%.1f" cy="%.1f" r="3" fill="%@"/>"#, x, py(after[i]), afterColor)
        }
        let legend = [
            Series(name: "before", color: beforeColor, points: []),
            Series(name: "after", color: afterColor, points: []),
        ]
        return frame(
            title: title, xLabel: "samples, most toxic before first", yRange: yRange, xRange: xRange, body: body,
            legend: legend)
    }
}
