using BenchmarkDotNet.Running;

// dotnet run -c Release --project load/Seckill.Benchmarks [-- --filter '*Token*']
BenchmarkSwitcher.FromAssembly(typeof(Seckill.Benchmarks.NewBuyerBenchmarks).Assembly).Run(args);
