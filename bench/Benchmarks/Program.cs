using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Benchmarks -- --filter '*'
// Not typeof(Program): the gateway (referenced for ClientSecretBenchmarks) has a public Program too.
BenchmarkSwitcher.FromAssembly(typeof(Messaging.Benchmarks.RateLimiterBenchmarks).Assembly).Run(args);
