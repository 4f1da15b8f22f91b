import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { MetricsBucket } from "../api";
import { formatTime } from "../format";

export type ChartLine = {
  label: string;
  /** A colour of styles.css by its custom property (`--ok`): the chart follows the theme. */
  color: `--${string}`;
  value: (bucket: MetricsBucket) => number | null;
  /** A dash pattern, so that lines differ by more than their colour. */
  dash?: number[];
};

/** Steps for an axis of counts: whole numbers only, never "0.5 instances". */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7];
const FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const DARK = "(prefers-color-scheme: dark)";

/**
 * Metrics buckets drawn as lines over time with uPlot, as wide as its container. The canvas is
 * hidden from screen readers: the figure it is in says the numbers as text. It is drawn again
 * when the theme changes (a canvas cannot follow CSS variables), and given new numbers in place.
 */
export function TimeChart({
  buckets,
  lines,
  format,
  wholeNumbers = false,
  ceiling,
  gaps = false,
  height = 220,
}: {
  buckets: MetricsBucket[];
  lines: ChartLine[];
  /** A value as the axis and the legend show it. */
  format: (value: number) => string;
  wholeNumbers?: boolean;
  /** The highest the axis goes (1 for a share): no "110%" tick. */
  ceiling?: number;
  /** Values may be missing (null): each value is also a point, since a lone one has no line. */
  gaps?: boolean;
  height?: number;
}) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | undefined>(undefined);
  const dark = useDarkScheme();
  // The latest props, read when the chart is made; what it is made of is in `shape`.
  const latest = useRef({ buckets, lines, format, wholeNumbers, ceiling, gaps, height });
  latest.current = { buckets, lines, format, wholeNumbers, ceiling, gaps, height };
  const shape = JSON.stringify([lines.map(({ label, color, dash }) => [label, color, dash]), wholeNumbers, gaps]);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const props = latest.current;
    const made = new uPlot(
      optionsOf({ ...props, width: element.clientWidth, style: getComputedStyle(element) }),
      dataOf(props.buckets, props.lines),
      element,
    );
    chart.current = made;
    // Resized in the next frame, and only for a new width: resizing the chart inside the
    // observer's callback changes the height it observes, which the browser reports as an error.
    let width = element.clientWidth;
    let frame = 0;
    const resized = new ResizeObserver(() => {
      if (element.clientWidth === width) return;
      width = element.clientWidth;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => made.setSize({ width, height: props.height }));
    });
    resized.observe(element);
    return () => {
      resized.disconnect();
      cancelAnimationFrame(frame);
      made.destroy();
      chart.current = undefined;
    };
  }, [shape, dark, height]);

  useEffect(() => {
    chart.current?.setData(dataOf(buckets, latest.current.lines));
  }, [buckets]);

  return <div ref={container} class="chart" aria-hidden="true" />;
}

function useDarkScheme(): boolean {
  const [dark, setDark] = useState(() => matchMedia(DARK).matches);
  useEffect(() => {
    const query = matchMedia(DARK);
    const changed = () => setDark(query.matches);
    query.addEventListener("change", changed);
    return () => query.removeEventListener("change", changed);
  }, []);
  return dark;
}

function dataOf(buckets: MetricsBucket[], lines: ChartLine[]): uPlot.AlignedData {
  // uPlot's time axis counts in seconds.
  return [buckets.map((bucket) => Date.parse(bucket.start) / 1000), ...lines.map((line) => buckets.map(line.value))];
}

function optionsOf({
  lines,
  format,
  wholeNumbers,
  ceiling,
  gaps,
  height,
  width,
  style,
}: {
  lines: ChartLine[];
  format: (value: number) => string;
  wholeNumbers: boolean;
  ceiling: number | undefined;
  gaps: boolean;
  height: number;
  width: number;
  style: CSSStyleDeclaration;
}): uPlot.Options {
  const color = (name: string) => style.getPropertyValue(name).trim() || "#888";
  const axis: uPlot.Axis = {
    stroke: color("--muted"),
    font: FONT,
    grid: { stroke: color("--border"), width: 1 },
    ticks: { stroke: color("--border"), width: 1 },
  };
  return {
    width,
    height,
    // Zooming by dragging is left out: the window is the page's choice, and in its link.
    cursor: { drag: { x: false, y: false } },
    scales: {
      y: {
        range: (_chart, _min, max) => {
          const top = Number.isFinite(max) && max > 0 ? max : wholeNumbers ? 1 : (ceiling ?? 1);
          const [low, high] = uPlot.rangeNum(0, top, 0.1, true);
          return [Math.max(0, low ?? 0), Math.min(high ?? top, ceiling ?? Number.POSITIVE_INFINITY)];
        },
      },
    },
    axes: [
      axis,
      {
        ...axis,
        values: (_chart, splits) => splits.map(format),
        // Wide enough for the longest label ("1 min 30 s"): uPlot's default fits about four digits.
        // The ticks and their gap take 15 px; a character about 7.5 at 12 px.
        size: (_chart, values) => Math.ceil(24 + 7.5 * Math.max(2, ...(values ?? []).map((value) => value.length))),
        ...(wholeNumbers ? { incrs: WHOLE_STEPS } : {}),
      },
    ],
    legend: { markers: { dash: (chart, index) => (chart.series[index]?.dash ? "dashed" : "solid") } },
    series: [
      { value: (_chart, seconds) => (seconds === null ? "—" : formatTime(new Date(seconds * 1000).toISOString())) },
      ...lines.map(
        (line): uPlot.Series => ({
          label: line.label,
          stroke: color(line.color),
          width: 2,
          ...(line.dash ? { dash: line.dash } : {}),
          points: gaps ? { show: true, size: 5, fill: color(line.color) } : { size: 5 },
          value: (_chart, value) => (value === null ? "—" : format(value)),
        }),
      ),
    ],
  };
}
