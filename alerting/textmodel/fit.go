package textmodel

import "math"

// This file is the learner: multinomial logistic regression with an L2
// penalty, fitted by L-BFGS. It is small, deterministic (no random
// initialisation, no shuffling: the same data in the same order gives the
// same weights to the last bit) and fast enough to fit every head, with
// cross-validation, in well under a minute on two cores.

// sparseRow is one example: feature indices with values, a class and a
// weight.
type sparseRow struct {
	idx []int32
	val []float32
	y   int
	w   float64
}

// linModel is a fitted K-class linear model: W[k*D+j], B[k].
type linModel struct {
	K, D int
	W    []float64
	B    []float64
}

func (lm *linModel) scores(r *sparseRow, out []float64) {
	copy(out, lm.B)
	for n, j := range r.idx {
		v := float64(r.val[n])
		for k := 0; k < lm.K; k++ {
			out[k] += lm.W[k*lm.D+int(j)] * v
		}
	}
}

// probs returns class probabilities of r.
func (lm *linModel) probs(r *sparseRow) []float64 {
	p := make([]float64, lm.K)
	lm.scores(r, p)
	softmaxInPlace(p)
	return p
}

func softmaxInPlace(p []float64) {
	mx := math.Inf(-1)
	for _, v := range p {
		mx = math.Max(mx, v)
	}
	s := 0.0
	for k, v := range p {
		p[k] = math.Exp(v - mx)
		s += p[k]
	}
	for k := range p {
		p[k] /= s
	}
}

// fitOptions control a fit.
type fitOptions struct {
	L2    float64   // penalty on weights (not biases), per example
	Prior []float64 // the penalty pulls weights toward these (nil: zero)
	// PriorL2 is the (stronger) penalty on weights that have a nonzero
	// prior: seed knowledge yields only to clear evidence.
	PriorL2 float64
	// L2Scale (nil: all 1) scales the L2 penalty of each column j (the
	// same for every class): feature groups can be held more or less
	// tightly.
	L2Scale []float64
	MaxIter int
}

// fitLR fits a K-class softmax regression on rows with D features.
func fitLR(rows []sparseRow, K, D int, o fitOptions) *linModel {
	if o.MaxIter == 0 {
		o.MaxIter = 300
	}
	nW := K * D
	n := nW + K
	x := make([]float64, n)
	copy(x, o.Prior) // start at the prior
	totalW := 0.0
	for i := range rows {
		totalW += rows[i].w
	}
	if totalW == 0 {
		totalW = 1
	}
	p := make([]float64, K)
	f := func(x, g []float64) float64 {
		for i := range g {
			g[i] = 0
		}
		W, B := x[:nW], x[nW:]
		loss := 0.0
		for i := range rows {
			r := &rows[i]
			copy(p, B)
			for t, j := range r.idx {
				v := float64(r.val[t])
				for k := 0; k < K; k++ {
					p[k] += W[k*D+int(j)] * v
				}
			}
			mx := p[0]
			for _, v := range p[1:] {
				mx = math.Max(mx, v)
			}
			s := 0.0
			for k := range p {
				p[k] = math.Exp(p[k] - mx)
				s += p[k]
			}
			loss += r.w * (math.Log(s) + mx - (math.Log(p[r.y]) + mx))
			for k := range p {
				d := p[k] / s
				if k == r.y {
					d--
				}
				d *= r.w
				if d == 0 {
					continue
				}
				g[nW+k] += d
				for t, j := range r.idx {
					g[k*D+int(j)] += d * float64(r.val[t])
				}
			}
		}
		inv := 1 / totalW
		loss *= inv
		for i := range g {
			g[i] *= inv
		}
		for i := 0; i < nW; i++ {
			d, l2 := W[i], o.L2
			if o.L2Scale != nil {
				l2 *= o.L2Scale[i%D]
			}
			if o.Prior != nil && o.Prior[i] != 0 {
				d -= o.Prior[i]
				l2 = math.Max(l2, o.PriorL2)
			}
			loss += 0.5 * l2 * d * d
			g[i] += l2 * d
		}
		return loss
	}
	lbfgs(f, x, o.MaxIter)
	return &linModel{K: K, D: D, W: x[:nW], B: x[nW:]}
}

// lbfgs minimises f from x in place: limited-memory BFGS with 10 pairs and
// a backtracking (Armijo) line search.
func lbfgs(f func(x, g []float64) float64, x []float64, maxIter int) {
	const mem = 10
	n := len(x)
	g := make([]float64, n)
	fx := f(x, g)
	var sHist, yHist [][]float64
	var rho []float64
	d := make([]float64, n)
	xNew := make([]float64, n)
	gNew := make([]float64, n)
	alpha := make([]float64, mem)
	for iter := 0; iter < maxIter; iter++ {
		// Direction: -H g by the two-loop recursion.
		copy(d, g)
		for i := len(sHist) - 1; i >= 0; i-- {
			alpha[i] = rho[i] * dot(sHist[i], d)
			axpy(-alpha[i], yHist[i], d)
		}
		if k := len(sHist) - 1; k >= 0 {
			scale(dot(sHist[k], yHist[k])/dot(yHist[k], yHist[k]), d)
		} else {
			scale(1/math.Max(1, math.Sqrt(dot(g, g))), d)
		}
		for i := range sHist {
			b := rho[i] * dot(yHist[i], d)
			axpy(alpha[i]-b, sHist[i], d)
		}
		scale(-1, d)
		gd := dot(g, d)
		if gd >= 0 { // not a descent direction: restart from the gradient
			sHist, yHist, rho = sHist[:0], yHist[:0], rho[:0]
			copy(d, g)
			scale(-1/math.Max(1, math.Sqrt(dot(g, g))), d)
			gd = dot(g, d)
		}
		step := 1.0
		var fNew float64
		ok := false
		for ls := 0; ls < 30; ls++ {
			for i := range x {
				xNew[i] = x[i] + step*d[i]
			}
			fNew = f(xNew, gNew)
			if fNew <= fx+1e-4*step*gd {
				ok = true
				break
			}
			step *= 0.5
		}
		if !ok {
			return
		}
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			s[i] = xNew[i] - x[i]
			y[i] = gNew[i] - g[i]
		}
		if sy := dot(s, y); sy > 1e-12 {
			if len(sHist) == mem {
				sHist, yHist, rho = sHist[1:], yHist[1:], rho[1:]
			}
			sHist = append(sHist, s)
			yHist = append(yHist, y)
			rho = append(rho, 1/sy)
		}
		copy(x, xNew)
		copy(g, gNew)
		rel := (fx - fNew) / math.Max(math.Abs(fx), 1e-12)
		fx = fNew
		if rel < 1e-6 || math.Sqrt(dot(g, g)) < 1e-6 {
			return
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}

func scale(a float64, x []float64) {
	for i := range x {
		x[i] *= a
	}
}
