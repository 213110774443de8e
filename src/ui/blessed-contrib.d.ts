// The part of blessed-contrib (which ships no types) that the dashboard uses: the line chart.
declare module 'blessed-contrib' {
  import type { Widgets } from 'blessed';

  export interface LineSeries {
    title: string;
    x: string[];
    y: number[];
    style?: { line?: string };
  }

  export interface LineOptions extends Widgets.BoxOptions {
    showLegend?: boolean;
    legend?: { width?: number };
    showNthLabel?: number;
    xLabelPadding?: number;
    xPadding?: number;
    numYLabels?: number;
    wholeNumbersOnly?: boolean;
    minY?: number;
    maxY?: number;
    style?: { line?: string; text?: string; baseline?: string } & Widgets.Types.TStyle;
  }

  export interface LineElement extends Widgets.BoxElement {
    /** Must be called after the chart is attached to a screen. */
    setData(series: LineSeries[]): void;
  }

  export function line(options: LineOptions): LineElement;
}
