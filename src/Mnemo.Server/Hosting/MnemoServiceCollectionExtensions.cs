using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mnemo;
using Mnemo.Server.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The DI entry point: <c>services.AddMnemo(settings).WithConfiguredStore().WithConfiguredEmbeddings().WithWhisper().WithTelegram().WithAutomation()</c>.</summary>
public static class MnemoServiceCollectionExtensions
{
    /// <summary>Mnemo with every section of its settings (what serve, mcp and the commands use).</summary>
    public static MnemoBuilder AddMnemo(this IServiceCollection services, MnemoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(settings);
        services.AddSingleton(settings.Server);
        services.AddSingleton(settings.OpenClaw);
        services.AddSingleton(settings.Voice);
        AddMnemo(services, settings.Memory);
        return new MnemoBuilder(services, settings.Memory, settings);
    }

    /// <summary>The memory alone (an embedding host): options, clock, HTTP clients; a store comes next.</summary>
    public static MnemoBuilder AddMnemo(this IServiceCollection services, MnemoOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        MnemoOptionsValidator.Validate(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddMnemoHttpClients();
        return new MnemoBuilder(services, options);
    }
}
