package textmodel

import (
	"os"
	"strings"
	"testing"
)

// Temporary experiments (not shipped).
func TestExpComplaint(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	d, err := LoadData("../../../shared/data")
	if err != nil {
		t.Fatal(err)
	}
	m := Default()
	st := newStages(d, m)
	c := st.cmp
	variants := map[string]func(e *Extracted) *Extracted{
		"base": func(e *Extracted) *Extracted { return e },
		"uni": func(e *Extracted) *Extracted {
			x := *e
			x.Features = nil
			for _, f := range e.Features {
				if !strings.Contains(f, " ") {
					x.Features = append(x.Features, f)
				}
			}
			return &x
		},
		"char": func(e *Extracted) *Extracted {
			x := *e
			x.Features = append([]string(nil), e.Features...)
			for _, f := range e.Features {
				if strings.Contains(f, " ") || f[0] == '!' {
					continue
				}
				w := "<" + f + ">"
				for n := 3; n <= 5; n++ {
					for i := 0; i+n <= len(w); i++ {
						x.Features = append(x.Features, "c:"+w[i:i+n])
					}
				}
			}
			return &x
		},
		"inter": func(e *Extracted) *Extracted {
			x := *e
			x.Dense = append([]float64(nil), e.Dense...)
			neg := e.Dense[dLexNeg] + e.Dense[dEmoNeg]
			x.Features = append([]string(nil), e.Features...)
			if neg > 0 && e.Dense[dHandleStart] > 0 {
				x.Features = append(x.Features, "_neg_hstart")
			}
			if neg > 0 && e.Dense[dCSHandle] > 0 {
				x.Features = append(x.Features, "_neg_cs")
			}
			if neg > 0 && e.Dense[dYou] > 0 {
				x.Features = append(x.Features, "_neg_you")
			}
			if neg > 0 && e.Dense[dDomain] > 0 {
				x.Features = append(x.Features, "_neg_domain")
			}
			if e.Dense[dHandles] == 0 {
				x.Features = append(x.Features, "_nohandle")
			}
			return &x
		},
		"nodense": func(e *Extracted) *Extracted {
			x := *e
			x.Dense = make([]float64, nDense)
			return &x
		},
	}
	for _, name := range strings.Split(os.Getenv("EXP"), ",") {
		v := variants[name]
		if v == nil {
			continue
		}
		cc := corpus{text: c.text, ex: make([]Extracted, len(c.ex))}
		for i := range c.ex {
			cc.ex[i] = *v(&c.ex[i])
		}
		for _, l2 := range []float64{1e-3, 3e-3, 1e-2} {
			for _, minDF := range []int{1, 2} {
				oof := oofProbsRows(cc, allRows(len(cc.ex)), st.cmpY, nil, nil, 2, minDF, l2)
				thr, f := bestF1Threshold(oof, st.cmpY)
				var c5 confusion
				for i := range oof {
					c5.add(oof[i][1] >= 0.5, st.cmpY[i] == 1)
				}
				_, _, f5 := c5.prf()
				t.Logf("%-8s l2 %-6g minDF %d: bestF1 %.3f @%.2f, F1@0.5 %.3f", name, l2, minDF, f, thr, f5)
			}
		}
	}
}

func TestExpErrors(t *testing.T) {
	if os.Getenv("EXPERR") == "" {
		t.Skip()
	}
	d, _ := LoadData("../../../shared/data")
	m := Default()
	st := newStages(d, m)
	c := st.cmp
	oof := oofProbsRows(c, allRows(len(c.ex)), st.cmpY, nil, nil, 2, 2, 1e-3)
	type k struct {
		dom            string
		fp, fn, tp, tn int
	}
	agg := map[string]*k{}
	for i := range oof {
		dom := d.Complaints[i].Domain
		if agg[dom] == nil {
			agg[dom] = &k{dom: dom}
		}
		p := oof[i][1] >= 0.35
		y := st.cmpY[i] == 1
		switch {
		case p && y:
			agg[dom].tp++
		case p:
			agg[dom].fp++
		case y:
			agg[dom].fn++
		default:
			agg[dom].tn++
		}
	}
	for _, v := range agg {
		t.Logf("%-14s tp %3d fp %3d fn %3d tn %3d", v.dom, v.tp, v.fp, v.fn, v.tn)
	}
	n := 0
	for i := range oof {
		p := oof[i][1] >= 0.35
		y := st.cmpY[i] == 1
		if p != y && n < 60 {
			n++
			t.Logf("y=%v p=%.2f %s | %s", y, oof[i][1], d.Complaints[i].Domain, d.Complaints[i].Text)
		}
	}
}

func TestExpStack(t *testing.T) {
	if os.Getenv("EXPSTACK") == "" {
		t.Skip()
	}
	d, _ := LoadData("../../../shared/data")
	m := Default()
	st := newStages(d, m)
	c := st.cmp
	rows := allRows(len(c.ex))
	var sentRows []int
	sentY := make([]int, len(c.ex))
	emoY := make([]int, len(c.ex))
	emos := map[string]int{"anger": 1, "sadness": 2, "joy": 3}
	for _, i := range rows {
		if !st.hasSev[i] {
			continue
		}
		y, ok := sentClasses[st.sev[i].Sentiment]
		if !ok {
			continue
		}
		sentRows = append(sentRows, i)
		sentY[i] = y
		emoY[i] = emos[st.sev[i].Emotion]
	}
	so := oofProbsRows(c, sentRows, sentY, nil, nil, 3, 2, 3e-3)
	eo := oofProbsRows(c, sentRows, emoY, nil, nil, 4, 2, 3e-3)
	extra := make([][]float64, len(c.ex))
	for i := range extra {
		x := make([]float64, 0, 8)
		if so[i] != nil {
			x = append(x, so[i]...)
			x = append(x, eo[i]...)
		} else {
			x = append(x, make([]float64, 7)...)
		}
		extra[i] = x
	}
	for _, mode := range []string{"sent", "sent+emo"} {
		ex := make([][]float64, len(c.ex))
		for i := range ex {
			if mode == "sent" {
				ex[i] = extra[i][:3]
			} else {
				ex[i] = extra[i]
			}
		}
		for _, l2 := range []float64{1e-3, 3e-3} {
			oof := oofProbsRows(c, rows, st.cmpY, nil, ex, 2, 2, l2)
			thr, f := bestF1Threshold(oof, st.cmpY)
			t.Logf("%s l2 %g: bestF1 %.3f @%.2f", mode, l2, f, thr)
		}
	}
}

func TestExpNusax(t *testing.T) {
	if os.Getenv("EXPNX") == "" {
		t.Skip()
	}
	d, _ := LoadData("../../../shared/data")
	m := Default()
	var cm [3][3]int
	idl := map[string]int{}
	for _, l := range d.NusaXID {
		y, _ := m.sentLabel(l.Text)
		idl[l.ID] = y
	}
	for _, l := range d.NusaXEN {
		y, lang := m.sentLabel(l.Text)
		g := sentClasses[l.Label]
		if y >= 0 {
			cm[g][y]++
		}
		if y != g && os.Getenv("EXPNX") == "v" {
			t.Logf("gold %d en %d id %d %s | %s", g, y, idl[l.ID], lang, l.Text)
		}
	}
	t.Logf("rows gold, cols pred: %v", cm)
}

func TestExpEnSent(t *testing.T) {
	if os.Getenv("EXPES") == "" {
		t.Skip()
	}
	d, _ := LoadData("../../../shared/data")
	m := Default()
	st := newStages(d, m)
	c := st.cmp
	var sentRows []int
	sentY := make([]int, len(c.ex))
	for i := range c.ex {
		if !st.hasSev[i] {
			continue
		}
		y, ok := sentClasses[st.sev[i].Sentiment]
		if !ok {
			continue
		}
		sentRows = append(sentRows, i)
		sentY[i] = y
	}
	idl := map[string]int{}
	for _, l := range d.NusaXID {
		y, _ := m.sentLabel(l.Text)
		idl[l.ID] = y
	}
	nx := make([]Extracted, len(d.NusaXEN))
	for i, l := range d.NusaXEN {
		nx[i] = m.Extract(l.Text, "")
	}
	dense := func(c corpus) corpus {
		cc := corpus{text: c.text, ex: make([]Extracted, len(c.ex))}
		for i := range c.ex {
			cc.ex[i] = c.ex[i]
			cc.ex[i].Features = nil
		}
		return cc
	}
	for _, v := range []struct {
		name  string
		c     corpus
		minDF int
	}{{"words", c, 2}, {"words5", c, 5}, {"dense", dense(c), 2}} {
		for _, l2 := range []float64{1e-3, 3e-3, 1e-2, 3e-2} {
			oof := oofProbsRows(v.c, sentRows, sentY, nil, nil, 3, v.minDF, l2)
			acc, n := 0, 0
			for _, i := range sentRows {
				b := 0
				for k := range oof[i] {
					if oof[i][k] > oof[i][b] {
						b = k
					}
				}
				acc += b2i(b == sentY[i])
				n++
			}
			h := fit(v.c, sentRows, sentY, nil, nil, 3, v.minDF, l2)
			nacc, agree := 0, 0
			for i, l := range d.NusaXEN {
				e := nx[i]
				if v.name == "dense" {
					e.Features = nil
				}
				p := h.probs(&e, nil)
				b := 0
				for k := range p {
					if p[k] > p[b] {
						b = k
					}
				}
				nacc += b2i(b == sentClasses[l.Label])
				agree += b2i(b == idl[l.ID])
			}
			t.Logf("%-7s l2 %-5g: complaints-en sent CV acc %.3f | nusax en acc %.2f agree %.2f", v.name, l2, float64(acc)/float64(n), float64(nacc)/100, float64(agree)/100)
		}
	}
}

func TestExpEnAnger(t *testing.T) {
	if os.Getenv("EXPEA") == "" {
		t.Skip()
	}
	d, _ := LoadData("../../../shared/data")
	m := Default()
	st := newStages(d, m)
	c := st.cmp
	var rows []int
	y := make([]int, len(c.ex))
	sy := make([]int, len(c.ex))
	for i := range c.ex {
		if !st.hasSev[i] {
			continue
		}
		s, ok := sentClasses[st.sev[i].Sentiment]
		if !ok {
			continue
		}
		rows = append(rows, i)
		y[i] = b2i(st.sev[i].Emotion == "anger")
		sy[i] = s
	}
	for _, minDF := range []int{2, 1 << 30} {
		for _, l2 := range []float64{1e-3, 3e-3, 1e-2} {
			oof := oofProbsRows(c, rows, y, nil, nil, 2, minDF, l2)
			_, f := bestF1Threshold(oof, y)
			oofs := oofProbsRows(c, rows, sy, nil, nil, 3, minDF, l2)
			acc := 0
			for _, i := range rows {
				b := 0
				for k := range oofs[i] {
					if oofs[i][k] > oofs[i][b] {
						b = k
					}
				}
				acc += b2i(b == sy[i])
			}
			t.Logf("minDF %d l2 %g: anger bestF1 %.3f, sentiment acc %.3f", minDF, l2, f, float64(acc)/float64(len(rows)))
		}
	}
}
