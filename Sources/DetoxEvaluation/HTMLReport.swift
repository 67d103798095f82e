import Foundation

/// The before/after report as one self-contained HTML page: headline numbers, SVG plots drawn
/// here, and the comparison table. No scripts, fonts or images are loaded from anywhere; every
/// number shown comes from the same ``ComparisonReport`` that is written as JSON.
public enum HTMLReport {
    static let beforeColor = "#8e44ad"
    static let afterColor = "#16a085"

    /// Escapes text for HTML element content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// How a number is printed in the page (and looked for by the tests).
    public static func format(_ value: Double?, digits: Int = 4) -> String {
        guard let value else { return "undefined" }
        guard value.isFinite else { return "\(value)" }
        return String(format: "%.\(digits)f", value)
    }

    /// A percentage change with its sign, or "undefined".
    public static func formatPercent(_ value: Double?) -> String {
        guard let value else { return "undefined" }
        return String(format: "%+.2f%%", value)
    }

    /// The headline numbers as (label, before, after, change) rows, as shown in the page.
    public static func headlineRows(_ summary: ComparisonSummary) -> [(String, String, String, String)] {
        var rows: [(String, String, String, String)] = [
            (
                "Toxicity, mean", format(summary.toxicityMeanBefore), format(summary.toxicityMeanAfter),
                formatPercent(summary.toxicityMeanChangePercent)
            ),
            (
                "Toxicity, std (population)", format(summary.toxicityStdBefore), format(summary.toxicityStdAfter),
                formatPercent(summary.toxicityStdChangePercent)
            ),
            ("Share ≥ 0.5 toxic", format(summary.toxicRatioBefore), format(summary.toxicRatioAfter), ""),
            (
                "Reward, mean", format(summary.rewardMeanBefore), format(summary.rewardMeanAfter),
                format(summary.rewardMeanAfter - summary.rewardMeanBefore)
            ),
        ]
        for type in summary.rougeBefore.keys.sorted() {
            let b = summary.rougeBefore[type]
            let a = summary.rougeAfter[type]
            rows.append(("\(type) F", format(b), format(a), (a != nil && b != nil) ? format(a! - b!) : ""))
        }
        rows.append(
            (
                "Response length, tokens", format(summary.meanLengthBefore, digits: 1),
                format(summary.meanLengthAfter, digits: 1),
                format(summary.meanLengthAfter - summary.meanLengthBefore, digits: 1)
            ))
        if let cost = summary.cost {
            rows.append(
                (
                    "Perplexity, original model", format(cost.perplexityBefore, digits: 2),
                    format(cost.perplexityAfter, digits: 2),
                    formatPercent(Statistics.percentChange(before: cost.perplexityBefore, after: cost.perplexityAfter))
                ))
            for (label, before, after) in [
                ("Distinct-1", cost.distinct1Before, cost.distinct1After),
                ("Distinct-2", cost.distinct2Before, cost.distinct2After),
            ] {
                rows.append(
                    (label, format(before), format(after), before.flatMap { b in after.map { format($0 - b) } } ?? ""))
            }
        }
        return rows
    }

    /// The page's opening sentence for summaries (the T5 pipeline).
    public static let summariesLede =
        "Toxicity of the summaries before and after PPO detoxification, scored by the evaluator; reward from the reward model; ROUGE against the reference summaries."
    /// The page's opening sentence for continuations of prompts (decoder-only models).
    public static let continuationsLede =
        "Toxicity of sampled continuations of the prompts (the prompt removed) before and after PPO detoxification, scored by the evaluator; perplexity of the continuations under the original model and their diversity show what the detoxification cost."

    /// The report page: headline numbers, plots, the PPO curves from `trainingLog`, every sample
    /// (prompt, responses and scores before and after) and the settings, under `lede`.
    public static func render(
        _ report: ComparisonReport, trainingLog: TrainingLog? = nil, title: String = "Detox report",
        lede: String = summariesLede
    ) -> String {
        let s = report.summary
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1180px; color: #222; padding: 0 1rem; }
            h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
            .lede { color: #555; } .big { font-size: 2.2rem; font-weight: 600; }
            .cards { display: flex; gap: 1rem; flex-wrap: wrap; } .card { border: 1px solid #ddd; border-radius: 8px; padding: .8rem 1.2rem; min-width: 200px; }
            .good { color: #16a085; } .bad { color: #c0392b; }
            table { border-collapse: collapse; width: 100%; font-size: .9rem; } th, td { border-bottom: 1px solid #eee; padding: .35rem .5rem; text-align: left; vertical-align: top; }
            th { background: #f7f7f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 1rem; }
            svg { width: 100%; height: auto; background: #fff; } .plot-area { fill: #fbfbfb; stroke: #ccc; } .grid { stroke: #eee; }
            .tick { font-size: 10px; fill: #666; } .axis-label { font-size: 11px; fill: #444; } .chart-title { font-size: 13px; font-weight: 600; fill: #222; }
            .settings td:first-child { color: #666; white-space: nowrap; } .text { max-width: 28rem; white-space: pre-wrap; }
            </style></head><body>
            <h1>\(escape(title))</h1>
            <p class="lede">\(escape(lede)) \(s.sampleCount) samples.</p>
            <div class="cards">
            <div class="card"><div>Mean toxicity change</div><div class="big \((s.toxicityMeanChangePercent ?? 0) <= 0 ? "good" : "bad")">\(formatPercent(s.toxicityMeanChangePercent))</div><div>\(format(s.toxicityMeanBefore)) → \(format(s.toxicityMeanAfter))</div></div>
            <div class="card"><div>Toxicity std change</div><div class="big">\(formatPercent(s.toxicityStdChangePercent))</div><div>\(format(s.toxicityStdBefore)) → \(format(s.toxicityStdAfter))</div></div>
            <div class="card"><div>95% CI of the mean change</div><div class="big">\(s.toxicityDifferenceInterval.map { "[\(format($0[0])), \(format($0[1]))]" } ?? "undefined")</div><div>paired bootstrap, after − before</div></div>
            </div>
            <h2>Headline numbers</h2>
            <table><thead><tr><th>measure</th><th>before</th><th>after</th><th>change</th></tr></thead><tbody>

            """
        for (label, before, after, change) in headlineRows(s) {
            html +=
                "<tr><td>\(escape(label))</td><td class=\"num\">\(before)</td><td class=\"num\">\(after)</td><td class=\"num\">\(change)</td></tr>\n"
        }
        html += "</tbody></table>\n<h2>Plots</h2>\n<div class=\"charts\">\n"
        let before = report.samples.map(\.toxicityBefore)
        let after = report.samples.map(\.toxicityAfter)
        html +=
            SVGChart.histogram(
                title: "Toxicity distribution", series: [("before", beforeColor, before), ("after", afterColor, after)])
            + "\n"
        html +=
            SVGChart.beforeAfter(
                title: "Toxicity per sample, before → after", before: before, after: after, beforeColor: beforeColor,
                afterColor: afterColor) + "\n"
        if let log = trainingLog, !log.steps.isEmpty {
            let curves: [(String, [(String, String)])] = [
                ("Mean reward", [("env/reward_mean", "#2980b9")]),
                ("KL to the reference", [("objective/kl", "#d35400")]),
                ("KL coefficient", [("objective/kl_coef", "#7f8c8d")]),
                ("Losses", [("ppo/loss/policy", "#8e44ad"), ("ppo/loss/value", "#27ae60")]),
            ]
            for (title, keys) in curves {
                let series = keys.map {
                    SVGChart.Series(
                        name: $0.0.split(separator: "/").last.map(String.init) ?? $0.0, color: $0.1,
                        points: log.series($0.0))
                }
                if series.contains(where: { !$0.points.isEmpty }) {
                    html += SVGChart.lines(title: title, xLabel: "PPO step", series: series) + "\n"
                }
            }
        }
        html += "</div>\n<h2>Samples</h2>\n<p class=\"lede\">Sorted by reward difference, largest first.</p>\n"
        html +=
            "<table><thead><tr><th>query</th><th>response before</th><th>response after</th><th>reward before</th><th>reward after</th><th>reward diff</th><th>toxicity before</th><th>toxicity after</th></tr></thead><tbody>\n"
        for row in report.sortedSamples(by: .rewardDifference) {
            html +=
                "<tr><td class=\"text\">\(escape(row.query))</td><td class=\"text\">\(escape(row.responseBefore))</td><td class=\"text\">\(escape(row.responseAfter))</td>"
            html +=
                "<td class=\"num\">\(format(row.rewardBefore))</td><td class=\"num\">\(format(row.rewardAfter))</td><td class=\"num\">\(format(row.rewardDifference))</td>"
            html +=
                "<td class=\"num\">\(format(row.toxicityBefore))</td><td class=\"num\">\(format(row.toxicityAfter))</td></tr>\n"
        }
        html += "</tbody></table>\n<h2>Settings</h2>\n<table class=\"settings\"><tbody>\n"
        for key in report.settings.keys.sorted() {
            html += "<tr><td>\(escape(key))</td><td>\(escape(report.settings[key] ?? ""))</td></tr>\n"
        }
        html += "</tbody></table>\n<p class=\"lede\">Written by Detox.</p>\n</body></html>\n"
        return html
    }

    /// The plain-text summary printed on the terminal.
    public static func terminalSummary(_ summary: ComparisonSummary) -> String {
        var lines = ["measure                         before      after     change"]
        for (label, before, after, change) in headlineRows(summary) {
            lines.append(
                label.padding(toLength: 28, withPad: " ", startingAt: 0) + before.leftPadded(11) + after.leftPadded(11)
                    + change.leftPadded(11))
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}
