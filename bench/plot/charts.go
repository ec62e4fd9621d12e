package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// series is one implementation's line in a panel.
type series struct {
	impl int // index in ingestImpls: fixes color, dashes and marker
	xys  plotter.XYs
}

// addSeries draws s into p and returns the thumbnails for the legend.
func addSeries(p *plot.Plot, s series) ([]plot.Thumbnailer, error) {
	line, points, err := plotter.NewLinePoints(s.xys)
	if err != nil {
		return nil, err
	}
	line.Color = plotutil.Color(s.impl)
	line.Dashes = plotutil.Dashes(s.impl)
	points.Color = plotutil.Color(s.impl)
	points.Shape = plotutil.Shape(s.impl)
	p.Add(line, points)
	return []plot.Thumbnailer{line, points}, nil
}

// logTicks marks 1, 2 and 5 times each power of ten: finer than
// plot.LogTicks, which labels only the powers, too few over a short range.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: fmtNs(v)})
		}
	}
	return ticks
}

// logAxis sets p's y axis to a log scale over [lo, hi] with logTicks.
func logAxis(p *plot.Plot, lo, hi float64) {
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	p.Y.Min, p.Y.Max = lo, hi
}

// save lays out the panels side by side under a title, with one legend for
// all of them on the right, and writes the picture in the format that path's
// extension names (svg, png, pdf).
func save(path string, w, h vg.Length, title string, panels []*plot.Plot, legend plot.Legend) error {
	title, note, _ := strings.Cut(title, "\n")
	canvas, err := draw.NewFormattedCanvas(w, h, strings.TrimPrefix(filepath.Ext(path), "."))
	if err != nil {
		return err
	}
	dc := draw.New(canvas)
	style := plot.New().Title.TextStyle // the font and size of a plot's own title
	style.XAlign, style.YAlign = draw.XCenter, draw.YTop
	titleH := style.Height(title) + vg.Points(12)
	dc.FillText(style, vg.Point{X: w / 2, Y: h - vg.Points(6)}, title)
	if note != "" { // where the numbers come from, in small print under the title
		small := style
		small.Font.Size = style.Font.Size * 0.75
		dc.FillText(small, vg.Point{X: w / 2, Y: h - titleH}, note)
		titleH += small.Height(note) + vg.Points(4)
	}

	const legendW = 2.1 * vg.Inch
	legend.Top, legend.Left = true, true
	legend.Draw(draw.Crop(dc, w-legendW, 0, 0, -titleH-vg.Points(10)))

	body := draw.Crop(dc, 0, -legendW, 0, -titleH)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(12), PadTop: vg.Points(4),
		PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(4)}
	canvases := plot.Align([][]*plot.Plot{panels}, tiles, body)
	for i, p := range panels {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := canvas.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// costChart draws ns per event against producers, one line per
// implementation, on a logarithmic axis (the reference design costs ten times
// the others). It returns false when the results have no ingest scenario.
func costChart(rs results, path, note string) (bool, error) {
	p := plot.New()
	p.X.Label.Text = "producers (goroutines calling AddEvent; 2 cores)"
	p.Y.Label.Text = "ns per event (log scale)"
	p.X.Tick.Marker = plot.ConstantTicks(producerTicks())
	p.X.Min, p.X.Max = 0.5, float64(producers[len(producers)-1])+0.5
	p.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	lo, hi := math.Inf(1), 0.0
	for i, im := range ingestImpls {
		var s series
		s.impl = i
		for _, n := range producers {
			if v, ok := rs.median(ingestName("Ingest", n, im.impl), "ns/event"); ok {
				s.xys = append(s.xys, plotter.XY{X: float64(n), Y: positive(v)})
				lo, hi = min(lo, positive(v)), max(hi, positive(v))
			}
		}
		if len(s.xys) == 0 {
			continue
		}
		thumbs, err := addSeries(p, s)
		if err != nil {
			return false, err
		}
		legend.Add(im.label, thumbs...)
	}
	if hi == 0 {
		return false, nil
	}
	logAxis(p, lo/1.5, hi*1.5)
	return true, save(path, 8*vg.Inch, 4.5*vg.Inch, withNote("Ingest flat out: cost per event (median of runs; lower is better)", note),
		[]*plot.Plot{p}, legend)
}

func producerTicks() []plot.Tick {
	var ticks []plot.Tick
	for _, n := range producers {
		ticks = append(ticks, plot.Tick{Value: float64(n), Label: fmt.Sprint(n)})
	}
	return ticks
}

// percentiles of the latency chart: metric unit and axis label.
var percentiles = []struct{ unit, label string }{
	{"p50-ns", "p50"}, {"p99-ns", "p99"}, {"p999-ns", "p99.9"},
}

// latencyChart draws AddEvent latency percentiles, one panel per producer
// count, one line per implementation across p50, p99 and p99.9, on one
// logarithmic axis for all panels. It returns false when no latency was
// measured.
func latencyChart(rs results, path, note string) (bool, error) {
	panels := make([]*plot.Plot, len(producers))
	legend := plot.NewLegend()
	inLegend := map[int]bool{}
	hi := 0.0
	for c, n := range producers {
		p := plot.New()
		p.X.Label.Text = fmt.Sprintf("%d producer%s", n, map[bool]string{true: "s"}[n > 1])
		if c == 0 {
			p.Y.Label.Text = "AddEvent latency (log scale)"
		}
		var ticks []plot.Tick
		for i, pc := range percentiles {
			ticks = append(ticks, plot.Tick{Value: float64(i), Label: pc.label})
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = -0.2, float64(len(percentiles))-0.8
		p.Add(plotter.NewGrid())
		for i, im := range ingestImpls {
			s := series{impl: i}
			for k, pc := range percentiles {
				if v, ok := rs.median(ingestName("Ingest", n, im.impl), pc.unit); ok {
					s.xys = append(s.xys, plotter.XY{X: float64(k), Y: positive(v)})
					hi = max(hi, positive(v))
				}
			}
			if len(s.xys) == 0 {
				continue
			}
			thumbs, err := addSeries(p, s)
			if err != nil {
				return false, err
			}
			if !inLegend[i] {
				legend.Add(im.label, thumbs...)
				inLegend[i] = true
			}
		}
		panels[c] = p
	}
	if hi == 0 {
		return false, nil
	}
	for _, p := range panels { // one range: the panels compare at a glance
		logAxis(p, 1, hi*1.5)
	}
	return true, save(path, 11*vg.Inch, 4.5*vg.Inch,
		withNote("Ingest flat out: AddEvent latency percentiles (median of runs; about one call in 16 timed)", note), panels, legend)
}

// withNote joins a title and a note for save.
func withNote(title, note string) string {
	if note == "" {
		return title
	}
	return title + "\n" + note
}
