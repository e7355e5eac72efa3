"""Draws bench results: throughput bars with ratios, the latency histogram, idle-session memory.
Usage: plot.py RESULTS.json IMAGE.png  (prints one JSON line naming the image)
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def rate(case):
    if not isinstance(case, dict) or not case.get("rate"):
        return None
    return case["rate"]


def throughput_rows(results):
    cases = results.get("cases", {})
    python_label = "Python " + (cases.get("python_client", {}).get("client") or "client")
    rows = [
        ("kcat (no decoding)", rate(cases.get("kcat"))),
        ("node-rdkafka count only", rate(cases.get("rdkafka_count"))),
        ("node-rdkafka count only, librdkafka defaults", rate(cases.get("rdkafka_count_defaults"))),
        (python_label + " (decodes)", rate(cases.get("python_client"))),
        ("gateway WebSocket", rate(cases.get("ws"))),
        ("gateway WebSocket, exclude=cutouts", rate(cases.get("ws_exclude_cutouts"))),
        ("gateway REST /consume", rate(cases.get("rest"))),
        ("gateway REST, exclude=cutouts", rate(cases.get("rest_exclude_cutouts"))),
    ]
    for point in (cases.get("fanout") or {}).get("points", []):
        if point.get("total"):
            plural = "" if point["clients"] == 1 else "s"
            rows.append(("gateway WS fan-out, {} client{} (total)".format(point["clients"], plural), point["total"]))
    return [(label, summary) for label, summary in rows if summary]


def draw_throughput(ax, results):
    rows = throughput_rows(results)
    if not rows:
        ax.text(0.5, 0.5, "no throughput figures", ha="center", va="center")
        ax.set_axis_off()
        return
    base = rate(results.get("cases", {}).get("rdkafka_count"))
    labels = [label for label, _ in rows]
    medians = [s["median"] for _, s in rows]
    low = [s["median"] - s["min"] for _, s in rows]
    high = [s["max"] - s["median"] for _, s in rows]
    colours = ["#888888" if not label.startswith("gateway") else "#1f77b4" for label in labels]
    y = list(range(len(rows)))[::-1]
    ax.barh(y, medians, xerr=[low, high], color=colours, capsize=3)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("alerts per second (median of runs, bars: min to max; log scale)")
    for yi, value, up in zip(y, medians, high):
        text = "{:,.0f}".format(value)
        if base:
            text += "  ({:.2f}x rdkafka)".format(value / base["median"])
        ax.text((value + up) * 1.08, yi, text, va="center", fontsize=7)
    ax.set_xlim(right=max(m + h for m, h in zip(medians, high)) * 8)
    machine = results.get("machine", {})
    ax.set_title(
        "Throughput on {:,} real ZTF alerts ({} partitions), {} run: {} CPUs, node {}, librdkafka {}, Kafka {}".format(
            results.get("data", {}).get("topic_alerts", 0),
            results.get("data", {}).get("partitions", "?"),
            results.get("mode", "?"),
            machine.get("cpus", "?"),
            machine.get("node", "?"),
            machine.get("librdkafka", "?"),
            machine.get("kafka", "?"),
        ),
        fontsize=9,
    )


def draw_latency(ax, results):
    latency = results.get("cases", {}).get("latency") or {}
    hist = latency.get("histogram_ms")
    if not hist:
        ax.text(0.5, 0.5, "no latency figures", ha="center", va="center")
        ax.set_axis_off()
        return
    counts = list(hist["counts"])
    # re-bin to about 60 bars covering everything up to a little past p99
    limit = max(float(latency["p99"]) * 1.3, 60.0)
    bins_shown = min(len(counts), int(limit / hist["bin"]) + 1)
    group = max(1, bins_shown // 60)
    width = hist["bin"] * group
    merged = [sum(counts[i:i + group]) for i in range(0, bins_shown, group)]
    overflow = sum(counts[bins_shown:])
    edges = [i * width for i in range(len(merged))]
    ax.bar(edges, merged, width=width, align="edge", color="#1f77b4")
    if overflow:
        ax.text(0.98, 0.6, "{} alerts above {:.0f} ms".format(overflow, bins_shown * hist["bin"]), transform=ax.transAxes, ha="right", fontsize=8)
    ax.axvline(latency["p50"], color="green", linestyle="--", label="p50 {} ms".format(latency["p50"]))
    ax.axvline(latency["p99"], color="red", linestyle="--", label="p99 {} ms".format(latency["p99"]))
    ax.axvline(50, color="black", linestyle=":", label="target p99 50 ms")
    ax.set_xlabel("Kafka timestamp to WebSocket receipt (ms)")
    ax.set_ylabel("alerts")
    ax.set_title("Latency at {} alerts/s, one live WebSocket client".format(latency.get("rate", "?")), fontsize=9)
    ax.legend(fontsize=8)


def draw_sessions(ax, results):
    sessions = results.get("cases", {}).get("idle_sessions") or {}
    points = [p for p in sessions.get("points", []) if isinstance(p.get("rss_mb"), (int, float))]
    if not points:
        ax.text(0.5, 0.5, "no idle-session figures", ha="center", va="center")
        ax.set_axis_off()
        return
    xs = [p["sessions"] for p in points]
    ax.plot(xs, [p["rss_mb"] for p in points], marker="o", color="#1f77b4", label="RSS (MB)")
    for p in points:
        ax.annotate("{} MB, {} threads".format(p["rss_mb"], p["threads"]), (p["sessions"], p["rss_mb"]), textcoords="offset points", xytext=(5, -12), fontsize=7)
    ax.set_xlabel("idle WebSocket sessions")
    ax.set_ylabel("gateway RSS (MB)")
    twin = ax.twinx()
    twin.plot(xs, [p["threads"] for p in points], marker="s", linestyle="--", color="#ff7f0e", label="threads")
    twin.set_ylabel("gateway threads")
    ax.set_title(
        "Idle sessions: {} MB and {} threads per session".format(
            sessions.get("per_session_rss_mb"), sessions.get("per_session_threads")
        ),
        fontsize=9,
    )
    if sessions.get("error"):
        ax.text(0.02, 0.02, "not reached: " + sessions["error"][:70], transform=ax.transAxes, fontsize=7, color="red")
    lines = ax.get_lines() + twin.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, loc="upper left")


def main():
    results_path, image_path = sys.argv[1], sys.argv[2]
    with open(results_path) as f:
        results = json.load(f)
    fig = plt.figure(figsize=(13, 9))
    grid = fig.add_gridspec(2, 2, height_ratios=[1.25, 1])
    draw_throughput(fig.add_subplot(grid[0, :]), results)
    draw_latency(fig.add_subplot(grid[1, 0]), results)
    draw_sessions(fig.add_subplot(grid[1, 1]), results)
    fig.suptitle(
        "fink-gateway benchmarks, {} UTC ({} CPUs shared by Kafka, the gateway and the clients: noisy)".format(
            results.get("date", "")[:16].replace("T", " "), results.get("machine", {}).get("cpus", "?")
        ),
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(image_path, dpi=100)
    print(json.dumps({"image": image_path}))


if __name__ == "__main__":
    main()
