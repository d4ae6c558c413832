using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Mnemo.Tests.Conventions;

/// <summary>
/// Every log message Mnemo writes has an event id of its own, so an operator can filter and alert
/// on one message across versions (STYLE.md: stable event ids).
/// </summary>
public sealed class LogEventIdTests
{
    private static readonly string[] Assemblies = ["Mnemo.Core", "Mnemo.Server", "Mnemo.Voice", "Mnemo.Postgres", "Mnemo.Telegram", "mnemo"];

    private static IEnumerable<(string Where, LoggerMessageAttribute Message)> LogMessages() =>
        from name in Assemblies
        from type in Assembly.Load(new AssemblyName(name)).GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select ($"{type.FullName}.{method.Name}", attribute);

    [Fact]
    public void EveryLogMessage_HasAnEventIdNoOtherMessageUses()
    {
        var messages = LogMessages().ToList();

        Assert.True(messages.Count >= 50, $"found only {messages.Count} log messages: is the scan looking in the right assemblies?");
        Assert.All(messages, m => Assert.True(m.Message.EventId > 0, $"{m.Where} has no event id"));
        var shared = messages.GroupBy(m => m.Message.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Where))}").ToList();
        Assert.True(shared.Count == 0, "event ids used twice: " + string.Join("; ", shared));
    }
}
