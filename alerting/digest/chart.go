package digest

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Chart size in pixels. E-mail clients show images at their size; 720 is
// as wide as a mail column usually gets.
const (
	ChartWidth  = 720
	ChartHeight = 300
)

var (
	colBackground = color.RGBA{255, 255, 255, 255}
	colAxis       = color.RGBA{120, 120, 120, 255}
	colGrid       = color.RGBA{230, 230, 230, 255}
	colText       = color.RGBA{40, 40, 40, 255}
	colCurrent    = color.RGBA{66, 133, 244, 255}
	colPrevious   = color.RGBA{200, 200, 200, 255}
	colComplaint  = color.RGBA{219, 68, 55, 255}
)

// Chart draws the volume bars of the report as a PNG: per hour (daily
// digest) or per day (weekly), the previous period's bar in grey beside
// this period's in blue, with this period's complaints overlaid in red.
// It is drawn with the standard image packages and basicfont, so no chart
// service ever sees the numbers.
func Chart(r *Report) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, ChartWidth, ChartHeight))
	draw.Draw(img, img.Bounds(), &image.Uniform{colBackground}, image.Point{}, draw.Src)
	face := basicfont.Face7x13
	const left, right, top, bottom = 48, 12, 30, 34
	plot := image.Rect(left, top, ChartWidth-right, ChartHeight-bottom)

	n := max(len(r.Cur.Bins), len(r.Prev.Bins), 1)
	peak := 1
	for _, bs := range [][]Bin{r.Cur.Bins, r.Prev.Bins} {
		for _, b := range bs {
			peak = max(peak, b.Mentions)
		}
	}
	peak = niceCeil(peak)

	// Title and legend.
	title := "Mentions per " + map[bool]string{true: "hour", false: "day"}[r.hourlyBins]
	text(img, face, left, 16, title, colText)
	x := ChartWidth - right - 330
	for _, l := range []struct {
		c     color.Color
		label string
	}{{colCurrent, "this period"}, {colPrevious, "previous"}, {colComplaint, "complaints"}} {
		fill(img, image.Rect(x, 7, x+10, 17), l.c)
		text(img, face, x+14, 16, l.label, colText)
		x += 14 + 7*len(l.label) + 16
	}

	// Horizontal grid with y labels at 0, 1/4 ... peak.
	for i := 0; i <= 4; i++ {
		v := peak * i / 4
		y := plot.Max.Y - (plot.Dy() * i / 4)
		fill(img, image.Rect(plot.Min.X, y, plot.Max.X, y+1), colGrid)
		label := strconv.Itoa(v)
		text(img, face, plot.Min.X-6-7*len(label), y+4, label, colText)
	}
	fill(img, image.Rect(plot.Min.X, plot.Min.Y, plot.Min.X+1, plot.Max.Y), colAxis)
	fill(img, image.Rect(plot.Min.X, plot.Max.Y, plot.Max.X, plot.Max.Y+1), colAxis)

	slot := float64(plot.Dx()) / float64(n)
	barW := max(int(slot*0.4), 1)
	height := func(v int) int { return plot.Dy() * v / peak }
	every := labelEvery(n, slot)
	for i := 0; i < n; i++ {
		x0 := plot.Min.X + int(slot*float64(i)+slot*0.1)
		if i < len(r.Prev.Bins) {
			fill(img, image.Rect(x0, plot.Max.Y-height(r.Prev.Bins[i].Mentions), x0+barW, plot.Max.Y), colPrevious)
		}
		if i < len(r.Cur.Bins) {
			b := r.Cur.Bins[i]
			x1 := x0 + barW
			fill(img, image.Rect(x1, plot.Max.Y-height(b.Mentions), x1+barW, plot.Max.Y), colCurrent)
			fill(img, image.Rect(x1, plot.Max.Y-height(b.Complaints), x1+barW, plot.Max.Y), colComplaint)
			if i%every == 0 {
				label := binLabel(r, b)
				cx := x0 + barW - 7*len(label)/2
				text(img, face, max(cx, 0), plot.Max.Y+15, label, colText)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// binLabel is an x-axis label: the hour ("08") or the day ("Mon 16").
func binLabel(r *Report, b Bin) string {
	if r.hourlyBins {
		return b.Start.Format("15")
	}
	return b.Start.Format("Mon 2")
}

// labelEvery spaces x labels so they do not overlap (7 px per character).
func labelEvery(n int, slot float64) int {
	const labelPx = 7*6 + 8
	every := 1
	for float64(every)*slot < labelPx && every < n {
		every++
	}
	return every
}

// niceCeil is the chart's top: four grid steps of a round size (1, 1.5,
// 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten, whole numbers only) that
// reach v.
func niceCeil(v int) int {
	for p := 1; ; p *= 10 {
		for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8} {
			step := m * float64(p)
			if step == float64(int(step)) && 4*int(step) >= v {
				return 4 * int(step)
			}
		}
	}
}

func fill(img draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src)
}

func text(img draw.Image, face font.Face, x, y int, s string, c color.Color) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
