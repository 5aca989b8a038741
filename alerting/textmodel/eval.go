package textmodel

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
)

// Evaluation: the figures `pantau eval` prints and the regression test
// guards. Held-out sets (SmSA valid, EmoT valid, NusaX valid) are scored by
// the shipped model, which never saw them. complaints-en trained the
// shipped English heads, so its figures are cross-validated: every fold is
// scored by heads fitted (hyper-parameters and thresholds included) on the
// other folds only.

// Targets from issue 4.
const (
	TargetComplaintF1    = 0.82
	TargetSmSANegF1      = 0.85
	TargetNusaXAgreement = 0.85
)

// Figure is one line of the evaluation.
type Figure struct {
	Key      string // stable name, for the regression test
	Dataset  string
	Lang     string
	Task     string
	N        int
	P, R, F1 float64
	Value    float64 // the headline number (F1, macro F1 or agreement)
	Target   float64 // 0: no target
	Protocol string
}

// Pass reports whether the figure meets its target (true when it has none).
func (f Figure) Pass() bool { return f.Target == 0 || f.Value >= f.Target }

// Report is the whole evaluation.
type Report struct {
	Figures []Figure
	Notes   []string
}

// Get returns the figure with key k.
func (r *Report) Get(k string) (Figure, bool) {
	for _, f := range r.Figures {
		if f.Key == k {
			return f, true
		}
	}
	return Figure{}, false
}

// confusion counts a binary decision.
type confusion struct{ tp, fp, fn, tn int }

func (c *confusion) add(pred, gold bool) {
	switch {
	case pred && gold:
		c.tp++
	case pred:
		c.fp++
	case gold:
		c.fn++
	default:
		c.tn++
	}
}

func (c confusion) prf() (p, r, f float64) {
	if c.tp+c.fp > 0 {
		p = float64(c.tp) / float64(c.tp+c.fp)
	}
	if c.tp+c.fn > 0 {
		r = float64(c.tp) / float64(c.tp+c.fn)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return
}

func binFigure(key, dataset, lang, task, protocol string, c confusion, target float64) Figure {
	p, r, f := c.prf()
	return Figure{Key: key, Dataset: dataset, Lang: lang, Task: task, N: c.tp + c.fp + c.fn + c.tn, P: p, R: r, F1: f, Value: f, Target: target, Protocol: protocol}
}

// sentLabel returns the 3-class sentiment of text (0 negative, 1 neutral,
// 2 positive), or -1 when the text is not scored.
func (m *Model) sentLabel(text string) (int, Lang) {
	z := newScratch()
	z.reset()
	z.tokenize(m, text)
	z.scan(m)
	lang, share := z.language("")
	if lang == LangOther {
		return -1, lang
	}
	var o outputs
	m.infer(z, lang, share, &o)
	best := 0
	for k := range o.sent {
		if o.sent[k] > o.sent[best] {
			best = k
		}
	}
	return best, lang
}

// Evaluate measures model m (normally Default()) on the held-out sets and
// cross-validates the English heads on complaints-en. progress, if not
// nil, receives a line per step.
func Evaluate(d *Data, m *Model, progress io.Writer) (*Report, error) {
	rep := &Report{}
	var mu sync.Mutex // cross-validation reports from several goroutines
	say := func(format string, a ...any) {
		if progress != nil {
			mu.Lock()
			fmt.Fprintf(progress, format+"\n", a...)
			mu.Unlock()
		}
	}

	// SmSA valid: negative sentiment.
	{
		var c confusion
		langs := map[Lang]int{}
		for _, l := range d.SmSAValid {
			y, lang := m.sentLabel(l.Text)
			langs[lang]++
			c.add(y == 0, l.Label == "negative")
		}
		rep.Figures = append(rep.Figures, binFigure("smsa_neg", "IndoNLU SmSA valid", "id", "negative sentiment",
			"held-out; never trained on", c, TargetSmSANegF1))
		rep.Notes = append(rep.Notes, fmt.Sprintf("SmSA valid detected languages: %s", fmtLangs(langs)))
		// Indonesian has no severity labels; the spread of the levels the
		// generic head gives the negative SmSA texts it calls complaints
		// shows whether one level swallows the rest.
		var dist [5]int
		for _, l := range d.SmSAValid {
			if l.Label != "negative" {
				continue
			}
			if a := m.Analyze(l.Text, ""); a.Lang == LangID && a.Complaint >= ComplaintThreshold {
				dist[a.Severity]++
			}
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("severity of SmSA valid negatives read as Indonesian complaints (no gold levels): 1: %d, 2: %d, 3: %d, 4: %d",
			dist[1], dist[2], dist[3], dist[4]))
	}
	say("smsa done")

	// EmoT valid: anger.
	{
		var c confusion
		thr := m.threshold("id_anger", 0.5)
		for _, l := range d.EmoTValid {
			z := newScratch()
			z.reset()
			z.tokenize(m, l.Text)
			z.scan(m)
			lang, share := z.language("")
			pred := false
			if lang != LangOther {
				var o outputs
				m.infer(z, lang, share, &o)
				pred = o.anger >= thr
			}
			c.add(pred, l.Label == "anger")
		}
		rep.Figures = append(rep.Figures, binFigure("emot_anger", "IndoNLU EmoT valid", "id", "anger",
			"held-out; never trained on", c, 0))
	}
	say("emot done")

	// NusaX valid: the same sentences in English and Indonesian.
	{
		en := map[string]int{}
		gold := map[string]int{}
		var cEN, cID confusion
		var accEN, accID int
		for _, l := range d.NusaXEN {
			y, _ := m.sentLabel(l.Text)
			en[l.ID] = y
			gold[l.ID] = sentClasses[l.Label]
			cEN.add(y == 0, l.Label == "negative")
			accEN += b2i(y == sentClasses[l.Label])
		}
		agree, n := 0, 0
		for _, l := range d.NusaXID {
			y, _ := m.sentLabel(l.Text)
			cID.add(y == 0, l.Label == "negative")
			accID += b2i(y == sentClasses[l.Label])
			if ye, ok := en[l.ID]; ok {
				n++
				agree += b2i(ye == y && y >= 0)
			}
		}
		rep.Figures = append(rep.Figures,
			Figure{Key: "nusax_agreement", Dataset: "NusaX valid", Lang: "en+id", Task: "EN/ID label agreement (pos/neu/neg)", N: n,
				Value: float64(agree) / float64(max(n, 1)), Target: TargetNusaXAgreement, Protocol: "held-out; never trained on"},
			binFigure("nusax_en_neg", "NusaX valid", "en", "negative sentiment", "held-out; never trained on", cEN, 0),
			binFigure("nusax_id_neg", "NusaX valid", "id", "negative sentiment", "held-out; never trained on", cID, 0))
		rep.Notes = append(rep.Notes, fmt.Sprintf("NusaX valid 3-class accuracy against the gold labels: en %.3f, id %.3f",
			float64(accEN)/float64(max(len(d.NusaXEN), 1)), float64(accID)/float64(max(len(d.NusaXID), 1))))
	}
	if len(d.NusaXTrainEN) > 0 {
		// The train split, never trained on either (NusaX may not train
		// anything): five times the rows, so a steadier figure. It was
		// used to read the English head's errors while developing; the
		// valid split above was not.
		id := map[string]int{}
		for _, l := range d.NusaXTrainID {
			y, _ := m.sentLabel(l.Text)
			id[l.ID] = y
		}
		agree, n, acc := 0, 0, 0
		for _, l := range d.NusaXTrainEN {
			y, _ := m.sentLabel(l.Text)
			acc += b2i(y == sentClasses[l.Label])
			if yi, ok := id[l.ID]; ok {
				n++
				agree += b2i(yi == y && y >= 0)
			}
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("NusaX train (%d pairs, never trained on; read for error analysis): EN/ID agreement %.3f, English 3-class accuracy %.3f",
			n, float64(agree)/float64(max(n, 1)), float64(acc)/float64(max(len(d.NusaXTrainEN), 1))))
	}
	say("nusax done")

	// complaints-en: cross-validated.
	figs, notes := crossValidateEnglish(d, m, say)
	rep.Figures = append(rep.Figures, figs...)
	rep.Notes = append(rep.Notes, notes...)
	return rep, nil
}

func fmtLangs(m map[Lang]int) string {
	var parts []string
	for _, l := range []Lang{LangID, LangEN, LangOther} {
		if m[l] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", l, m[l]))
		}
	}
	return strings.Join(parts, ", ")
}

// crossValidateEnglish scores every complaints-en row with heads fitted on
// the other folds (the whole English training procedure, L2 selection and
// thresholds included, runs inside each fold).
func crossValidateEnglish(d *Data, m *Model, say func(string, ...any)) ([]Figure, []string) {
	st := newStages(d, m)
	c := st.cmp
	folds := foldsOf(c, allRows(len(c.ex)))
	complPred := make([]bool, len(c.ex))
	genPred := make([]bool, len(c.ex))
	sevPred := make([]int, len(c.ex)) // 1..4 for predicted complaints, 0 otherwise
	sevGold := make([]int, len(c.ex))
	sevOnGold := make([]int, len(c.ex)) // predicted level for gold complaints
	genSevOnGold := make([]int, len(c.ex))
	// Folds are independent: fit them on every core, then score in order.
	heads := make([]*enHeads, len(folds))
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				heads[k] = st.english(without(folds, k), nil)
				say("complaints-en fold %d/%d fitted", k+1, Folds)
			}
		}()
	}
	for k := range folds {
		next <- k
	}
	close(next)
	wg.Wait()
	for k, test := range folds {
		en := heads[k]
		for _, i := range test {
			e := &c.ex[i]
			p := en.compl.probs(e, nil)[1]
			complPred[i] = p >= en.complThr
			sp := en.sent.probs(e, nil)
			ap := en.anger.probs(e, nil)
			g := make([]float64, nGen)
			GenericFeatures(sp[0], sp[2], ap[1], e.Dense, g)
			genPred[i] = en.gen.genProbs(g)[1] >= en.genThr
			gs := en.genSev.genProbs(g)
			genSevOnGold[i] = argmax(gs) + 1
			sv := en.sev.probs(e, nil)
			best := 0
			for j := range sv {
				if sv[j] > sv[best] {
					best = j
				}
			}
			sevOnGold[i] = best + 1
			if complPred[i] {
				sevPred[i] = best + 1
			}
		}
	}
	var cc, cg confusion
	for i := range c.ex {
		cc.add(complPred[i], st.cmpY[i] == 1)
		cg.add(genPred[i], st.cmpY[i] == 1)
	}
	protocol := fmt.Sprintf("%d-fold cross-validation (fitted on the other folds)", Folds)
	figs := []Figure{
		binFigure("complaint_en", "complaints-en", "en", "complaint", protocol, cc, TargetComplaintF1),
		binFigure("complaint_generic", "complaints-en", "en", "complaint, generic head (what Indonesian gets)", protocol, cg, 0),
	}
	// Severity: macro F1 over levels 1-4 on the gold complaints, and over
	// levels 0-4 end to end (complaint decision, then level).
	var per4, per5, gen4 [5]confusion
	n4, n5 := 0, 0
	for i := range c.ex {
		if !st.hasSev[i] {
			continue
		}
		gold := st.sev[i].Severity
		if st.sev[i].Label == 0 {
			gold = 0
		}
		sevGold[i] = gold
		n5++
		for l := 0; l <= 4; l++ {
			per5[l].add(sevPred[i] == l, gold == l)
		}
		if gold >= 1 {
			n4++
			for l := 1; l <= 4; l++ {
				per4[l].add(sevOnGold[i] == l, gold == l)
				gen4[l].add(genSevOnGold[i] == l, gold == l)
			}
		}
	}
	macro := func(cs []confusion) float64 {
		s := 0.0
		for _, c := range cs {
			_, _, f := c.prf()
			s += f
		}
		return s / float64(len(cs))
	}
	figs = append(figs,
		Figure{Key: "severity_en_1_4", Dataset: "complaints-en severity_dev", Lang: "en", Task: "severity 1-4 on gold complaints (macro F1)",
			N: n4, Value: macro(per4[1:]), F1: macro(per4[1:]), Protocol: protocol},
		Figure{Key: "severity_generic_1_4", Dataset: "complaints-en severity_dev", Lang: "en", Task: "severity 1-4, generic head (what Indonesian gets)",
			N: n4, Value: macro(gen4[1:]), F1: macro(gen4[1:]), Protocol: protocol},
		Figure{Key: "severity_en_0_4", Dataset: "complaints-en severity_dev", Lang: "en", Task: "severity 0-4 end to end (macro F1)",
			N: n5, Value: macro(per5[:]), F1: macro(per5[:]), Protocol: protocol})
	var notes []string
	{
		// The literature reports macro F1 over both classes (79 for the
		// 2019 paper's logistic regression, on the full data set).
		neg := confusion{tp: cc.tn, fp: cc.fn, fn: cc.fp, tn: cc.tp}
		_, _, f1 := cc.prf()
		_, _, f0 := neg.prf()
		notes = append(notes, fmt.Sprintf("complaints-en complaint, cross-validated: macro F1 over both classes %.3f, accuracy %.3f",
			(f0+f1)/2, float64(cc.tp+cc.tn)/float64(max(cc.tp+cc.tn+cc.fp+cc.fn, 1))))
	}
	var lv []string
	for l := 1; l <= 4; l++ {
		p, r, f := per4[l].prf()
		lv = append(lv, fmt.Sprintf("%d: P %.2f R %.2f F1 %.2f", l, p, r, f))
	}
	notes = append(notes, "severity per level (gold complaints): "+strings.Join(lv, "; "))
	var dist, gdist, gold [5]int
	for i := range c.ex {
		if st.hasSev[i] && sevGold[i] >= 1 {
			dist[sevOnGold[i]]++
			gdist[genSevOnGold[i]]++
			gold[sevGold[i]]++
		}
	}
	notes = append(notes, fmt.Sprintf("severity on gold complaints: gold 1: %d, 2: %d, 3: %d, 4: %d; English head 1: %d, 2: %d, 3: %d, 4: %d; generic head 1: %d, 2: %d, 3: %d, 4: %d",
		gold[1], gold[2], gold[3], gold[4], dist[1], dist[2], dist[3], dist[4], gdist[1], gdist[2], gdist[3], gdist[4]))
	return figs, notes
}

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%-28s %-5s %-46s %5s %6s %6s %6s  %-16s %s\n", "dataset", "lang", "task", "n", "P", "R", "F1/val", "target", "protocol")
	for _, f := range r.Figures {
		pr := func(v float64) string {
			if f.P == 0 && f.R == 0 {
				return "     -"
			}
			return fmt.Sprintf("%6.3f", v)
		}
		target := "-"
		if f.Target > 0 {
			verdict := "PASS"
			if !f.Pass() {
				verdict = "MISS"
			}
			target = fmt.Sprintf(">=%.2f %s", f.Target, verdict)
		}
		fmt.Fprintf(w, "%-28s %-5s %-46s %5d %s %s %6.3f  %-16s %s\n", f.Dataset, f.Lang, f.Task, f.N, pr(f.P), pr(f.R), f.Value, target, f.Protocol)
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

func argmax(p []float64) int {
	best := 0
	for k := range p {
		if p[k] > p[best] {
			best = k
		}
	}
	return best
}
