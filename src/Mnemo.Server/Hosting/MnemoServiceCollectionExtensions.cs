using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mnemo;
using Mnemo.Server.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The DI entry point: <c>services.AddMnemo(options).WithConfiguredStore()</c>.</summary>
public static class MnemoServiceCollectionExtensions
{
    public static MnemoBuilder AddMnemo(this IServiceCollection services, MnemoOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        MnemoOptionsValidator.Validate(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        return new MnemoBuilder(services, options);
    }
}
