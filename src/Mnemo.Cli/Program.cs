using Mnemo.Cli;

return await MnemoCommandLine.Build().Parse(args).InvokeAsync().ConfigureAwait(false);
