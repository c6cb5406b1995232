using System.Reflection;
using System.Text.RegularExpressions;

using ChatGateway.Abstractions;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using Xunit;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// What the gateway relies on from every channel plugin, checked the way the gateway loads and hosts
/// one (through ChatGateway.Abstractions.Hosting, as the gateway does): each plugin's test project derives a class from this one and passes its plugin,
/// settings that start it, and the settings it cannot start without.
/// </summary>
public abstract partial class ChannelPluginConformanceTests
{
    /// <summary>The instance id the suite uses; endpoints are mapped under <c>/channels/conformance</c>.</summary>
    protected const string InstanceId = "conformance";

    /// <summary>Assemblies the gateway itself uses for storage and routing; a plugin that needs one ships its own copy.</summary>
    private static readonly string[] GatewayInfrastructure =
        ["StackExchange.Redis", "Microsoft.EntityFrameworkCore", "Microsoft.Data.Sqlite", "Quartz", "Garnet", "Microsoft.Garnet"];

    private static readonly TimeSpan HostedServiceTimeout = TimeSpan.FromSeconds(10);

    /// <param name="plugin">The plugin under test, created as the gateway creates it.</param>
    /// <param name="validSettings">Settings with which an instance starts (and reaches no server outside this machine).</param>
    /// <param name="requiredSettings">The keys without which an instance must refuse to start; empty when every setting has a default.</param>
    protected ChannelPluginConformanceTests(
        IChannelPlugin plugin,
        IReadOnlyDictionary<string, string?> validSettings,
        IReadOnlyCollection<string> requiredSettings)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentNullException.ThrowIfNull(validSettings);
        ArgumentNullException.ThrowIfNull(requiredSettings);
        Plugin = plugin;
        ValidSettings = validSettings;
        RequiredSettings = requiredSettings;
    }

    protected IChannelPlugin Plugin { get; }

    protected IReadOnlyDictionary<string, string?> ValidSettings { get; }

    protected IReadOnlyCollection<string> RequiredSettings { get; }

    /// <summary>
    /// Gateway infrastructure assemblies (e.g. <c>StackExchange.Redis</c>) the plugin uses on its own and
    /// ships in its folder. Empty by default.
    /// </summary>
    protected virtual IReadOnlyCollection<string> PrivateDependencies => [];

    [Fact]
    public void Plugin_Always_HasANameAndALowerCaseChannelType()
    {
        Assert.False(string.IsNullOrWhiteSpace(Plugin.Name), "Name must not be empty: plugins.json entries refer to it.");
        Assert.Equal(Plugin.Name.Trim(), Plugin.Name);
        Assert.Matches(LowerCaseChannelType(), Plugin.ChannelType);
    }

    [Fact]
    public void PluginAssembly_Always_ExportsOnlyThisPluginWithAPublicParameterlessConstructor()
    {
        var type = Plugin.GetType();

        // The same search the gateway makes in a plugin's main assembly.
        var found = type.Assembly.GetExportedTypes()
            .Where(t => typeof(IChannelPlugin).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .ToList();

        Assert.Equal([type], found);
        var constructor = type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
        Assert.True(constructor is not null, $"{type.Name} needs a public parameterless constructor: the gateway creates it with Activator.CreateInstance.");
        var created = (IChannelPlugin)Activator.CreateInstance(type)!;
        Assert.Equal((Plugin.Name, Plugin.ChannelType, Plugin.Capabilities), (created.Name, created.ChannelType, created.Capabilities));
    }

    [Fact]
    public void Capabilities_Always_AreKnownFlagsThatMakeSense()
    {
        var known = Enum.GetValues<ChannelCapabilities>().Aggregate(ChannelCapabilities.None, (all, flag) => all | flag);
        var capabilities = Plugin.Capabilities;

        Assert.Equal(ChannelCapabilities.None, capabilities & ~known);
        Assert.True(
            capabilities.HasFlag(ChannelCapabilities.ReceiveText) || capabilities.HasFlag(ChannelCapabilities.SendText),
            "A channel must receive or send text.");
        Assert.True(
            !capabilities.HasFlag(ChannelCapabilities.DeliveryReceipts) || capabilities.HasFlag(ChannelCapabilities.SendText),
            "DeliveryReceipts report on sent messages, so they need SendText.");
    }

    [Fact]
    public void Capabilities_AttachmentsDeclared_NameTheLargestFile_AndOnlyThen()
    {
        if (Plugin.Capabilities.HasFlag(ChannelCapabilities.Attachments) || Plugin.Capabilities.HasFlag(ChannelCapabilities.ReceiveAttachments))
        {
            Assert.True(Plugin.MaxAttachmentBytes is > 0 and <= 2L * 1024 * 1024 * 1024,
                $"A channel with Attachments or ReceiveAttachments names the largest file its provider carries (MaxAttachmentBytes, 1 byte to 2 GB); it says {Plugin.MaxAttachmentBytes}.");
        }
        else
        {
            Assert.True(Plugin.MaxAttachmentBytes == 0, "A channel without Attachments or ReceiveAttachments carries no file: MaxAttachmentBytes is 0.");
        }
    }

    [Fact]
    public void Capabilities_HtmlAndThreads_ComeWithText()
    {
        var capabilities = Plugin.Capabilities;
        Assert.True(!capabilities.HasFlag(ChannelCapabilities.Html) || capabilities.HasFlag(ChannelCapabilities.ReceiveText),
            "Html is of received messages: it needs ReceiveText.");
        Assert.True(!capabilities.HasFlag(ChannelCapabilities.Threads) || (capabilities.HasFlag(ChannelCapabilities.ReceiveText) && capabilities.HasFlag(ChannelCapabilities.SendText)),
            "Threads join received messages to conversations and answer in them: they need ReceiveText and SendText.");
    }

    [Fact]
    public async Task Sender_AttachmentsDeclared_TakesAMessageThatIsOnlyAFile()
    {
        Assert.SkipUnless(Plugin.Capabilities.HasFlag(ChannelCapabilities.Attachments) && Plugin.Capabilities.HasFlag(ChannelCapabilities.SendText),
            "The plugin does not send files.");
        await using var container = Build(ValidSettings);
        var ct = TestContext.Current.CancellationToken;
        var file = await container.Attachments.SaveAsync(new MemoryStream("%PDF-1.4\n%%EOF\n"u8.ToArray()), "chart.pdf", "application/pdf", ct);

        // The provider is not there: the attempt may fail, but as a result (or by the caller's timeout), never by refusing the message.
        var result = await AttemptAsync(container, AnyOutboundMessage() with { Text = "", Attachments = [file] });
        Assert.True(result is null || result.Error is null || !result.Error.Contains("text", StringComparison.OrdinalIgnoreCase),
            $"A message that is only a file was refused for its text: {result?.Error}");
    }

    [Fact]
    public async Task Sender_ThreadsDeclared_TakesAReplyInAThread()
    {
        Assert.SkipUnless(Plugin.Capabilities.HasFlag(ChannelCapabilities.Threads), "The plugin does not declare Threads.");
        await using var container = Build(ValidSettings);

        var result = await AttemptAsync(container, AnyOutboundMessage() with
        {
            Subject = "Order 1001",
            Thread = new MessageThread { InReplyTo = "b@customer.example", References = ["a@customer.example", "b@customer.example"], SeparateConversations = true },
            ReplyToken = "abcdefghijklmnopqrstuvwxyz234567abcdefghij",
        });
        Assert.True(result is null || result.Outcome != DeliveryOutcome.PermanentFailure || !(result.Error ?? "").Contains("thread", StringComparison.OrdinalIgnoreCase),
            $"A reply in a thread was refused: {result?.Error}");
    }

    /// <summary>One send attempt with the provider absent: its result, or null when it ran past the attempt's time and was cancelled.</summary>
    private static async Task<DeliveryResult?> AttemptAsync(ChannelInstanceContainer container, OutboundMessage message)
    {
        var sender = container.Services.GetRequiredService<IChannelSender>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            var result = await sender.SendAsync(message, timeout.Token);
            Assert.NotNull(result);
            return result;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null;
        }
    }

    [Fact]
    public async Task ConfigureServices_ValidSettings_BuildsAndPassesStartupValidation()
    {
        await using var container = Build(ValidSettings);

        Assert.Empty(container.StartupFailures());
    }

    [Fact]
    public async Task ConfigureServices_ValidSettings_EveryRegistrationCanBeConstructed()
    {
        // Stricter than the gateway (which builds without ValidateOnBuild): a registration that cannot be
        // constructed would otherwise fail only when first resolved, in the middle of a request.
        await using var container = Build(ValidSettings, validateOnBuild: true);

        Assert.Empty(container.StartupFailures());
    }

    [Fact]
    public async Task ConfigureServices_SendTextDeclared_RegistersASender()
    {
        Assert.SkipUnless(Plugin.Capabilities.HasFlag(ChannelCapabilities.SendText), "The plugin does not declare SendText.");
        await using var container = Build(ValidSettings);
        Assert.Empty(container.StartupFailures());

        Assert.NotNull(container.Services.GetService<IChannelSender>());
    }

    [Fact]
    public async Task ConfigureServices_SendTextNotDeclared_HasNoSenderOrOneThatThrowsNotSupported()
    {
        Assert.SkipWhen(Plugin.Capabilities.HasFlag(ChannelCapabilities.SendText), "The plugin declares SendText.");
        await using var container = Build(ValidSettings);

        var sender = container.Services.GetService<IChannelSender>();

        if (sender is not null)
        {
            await Assert.ThrowsAsync<NotSupportedException>(() => sender.SendAsync(AnyOutboundMessage(), TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task ConfigureServices_LiveConnectionNotDeclared_RegistersNoStatusObserver()
    {
        Assert.SkipWhen(Plugin.Capabilities.HasFlag(ChannelCapabilities.LiveConnection), "The plugin declares LiveConnection.");
        await using var container = Build(ValidSettings);

        Assert.Empty(container.Services.GetServices<IConversationStatusObserver>());
    }

    [Fact]
    public async Task ConfigureServices_TwoInstances_GetSeparateSenders()
    {
        Assert.SkipUnless(Plugin.Capabilities.HasFlag(ChannelCapabilities.SendText), "The plugin does not declare SendText.");

        // One plugin object serves every instance: nothing of one instance may leak into another.
        await using var first = Build(ValidSettings, InstanceId + "-a");
        await using var second = Build(ValidSettings, InstanceId + "-b");

        Assert.NotSame(first.Services.GetRequiredService<IChannelSender>(), second.Services.GetRequiredService<IChannelSender>());
    }

    [Fact]
    public async Task StartupValidation_NoSettings_FailsNamingEveryRequiredKeyAtOnce()
    {
        Assert.SkipWhen(RequiredSettings.Count == 0, "The plugin requires no setting.");
        await using var container = Build(new Dictionary<string, string?>());

        // One validation run reports them all, so an operator fixes the configuration in one go.
        var failures = container.StartupFailures();

        Assert.NotEmpty(failures);
        Assert.All(RequiredSettings, key => Assert.Contains(failures, failure => failure.Contains(key, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task StartupValidation_NoSettings_PassesWhenNothingIsRequired()
    {
        Assert.SkipWhen(RequiredSettings.Count > 0, "The plugin requires settings.");
        await using var container = Build(new Dictionary<string, string?>());

        Assert.Empty(container.StartupFailures());
    }

    [Fact]
    public async Task StartupValidation_EachRequiredKeyMissing_FailsNamingThatKey()
    {
        Assert.SkipWhen(RequiredSettings.Count == 0, "The plugin requires no setting.");

        foreach (var key in RequiredSettings)
        {
            Assert.True(ValidSettings.TryGetValue(key, out var value) && value is not null, $"The valid settings must set the required key {key}.");
            var settings = ValidSettings.Where(pair => pair.Key != key).ToDictionary();
            await using var container = Build(settings);

            var failures = container.StartupFailures();

            Assert.True(
                failures.Any(failure => failure.Contains(key, StringComparison.Ordinal)),
                $"Without {key}, start-up validation must name it; it reported: [{string.Join("; ", failures)}]");
        }
    }

    [Fact]
    public async Task MapEndpoints_UnderTheInstanceGroup_MapsWithoutThrowingAndStaysInsideIt()
    {
        await using var container = Build(ValidSettings);
        await using var app = CreateApp();

        Plugin.MapEndpoints(app.MapGroup($"/channels/{InstanceId}"), container.Instance);

        // Listing the endpoints builds their request delegates, so a handler the framework cannot bind fails here.
        var endpoints = ListEndpoints(app);
        Assert.All(endpoints, endpoint => AssertInsideGroup(endpoint, InstanceId));
    }

    [Fact]
    public async Task MapEndpoints_TwoInstances_EachStaysInsideItsOwnGroup()
    {
        await using var first = Build(ValidSettings, InstanceId + "-a");
        await using var second = Build(ValidSettings, InstanceId + "-b");
        await using var app = CreateApp();

        Plugin.MapEndpoints(app.MapGroup($"/channels/{first.Instance.Id}"), first.Instance);
        Plugin.MapEndpoints(app.MapGroup($"/channels/{second.Instance.Id}"), second.Instance);

        var endpoints = ListEndpoints(app);
        var byInstance = endpoints.ToLookup(endpoint => ((RouteEndpoint)endpoint).RoutePattern.PathSegments.ElementAtOrDefault(1)?.Parts.FirstOrDefault() is RoutePatternLiteralPart literal
            ? literal.Content
            : null);
        Assert.Equal(endpoints.Count, byInstance[first.Instance.Id].Count() + byInstance[second.Instance.Id].Count());
        Assert.Equal(byInstance[first.Instance.Id].Count(), byInstance[second.Instance.Id].Count());
    }

    [Fact]
    public void PluginAssembly_Always_ReferencesNoGatewayAssembly()
    {
        var abstractions = typeof(IChannelPlugin).Assembly.GetName().Name!;
        var references = Plugin.GetType().Assembly.GetReferencedAssemblies().Select(name => name.Name ?? "").ToList();

        Assert.Contains(abstractions, references);
        Assert.DoesNotContain("ChatGateway.Gateway", references);
        Assert.All(references, reference => Assert.True(
            !reference.StartsWith("ChatGateway.", StringComparison.Ordinal) || reference == abstractions,
            $"A plugin may share only {abstractions} with the gateway, not {reference}."));
        Assert.All(references, reference => Assert.True(
            PrivateDependencies.Contains(reference) || !GatewayInfrastructure.Any(prefix => reference == prefix || reference.StartsWith(prefix + ".", StringComparison.Ordinal)),
            $"{reference} is gateway infrastructure; a plugin that uses it on its own lists it in PrivateDependencies."));
    }

    [Fact]
    public async Task HostedServices_ValidSettings_StartAndStopCleanly()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var container = Build(ValidSettings);
        Assert.Empty(container.StartupFailures());
        var hosted = container.Services.GetServices<IHostedService>().ToList();

        foreach (var service in hosted)
        {
            await service.StartAsync(cancellationToken).WaitAsync(HostedServiceTimeout, cancellationToken);
        }

        for (var i = hosted.Count - 1; i >= 0; i--)
        {
            await hosted[i].StopAsync(cancellationToken).WaitAsync(HostedServiceTimeout, cancellationToken);
        }
    }

    /// <summary>The instance container, built as the gateway builds it.</summary>
    protected ChannelInstanceContainer Build(
        IEnumerable<KeyValuePair<string, string?>> settings, string instanceId = InstanceId, bool validateOnBuild = false) =>
        ChannelInstanceContainer.Build(Plugin, instanceId, settings, validateOnBuild: validateOnBuild);

    private static WebApplication CreateApp()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        return builder.Build();
    }

    private static List<Endpoint> ListEndpoints(IEndpointRouteBuilder app) =>
        [.. app.DataSources.SelectMany(source => source.Endpoints)];

    private static void AssertInsideGroup(Endpoint endpoint, string instanceId)
    {
        var route = Assert.IsType<RouteEndpoint>(endpoint, exactMatch: false);
        var segments = route.RoutePattern.PathSegments;
        var inside = segments.Count >= 2
            && IsLiteral(segments[0], "channels")
            && IsLiteral(segments[1], instanceId);
        Assert.True(inside, $"Endpoint '{route.RoutePattern.RawText}' ({route.DisplayName}) is outside /channels/{instanceId}/.");

        static bool IsLiteral(RoutePatternPathSegment segment, string text) =>
            segment.Parts is [RoutePatternLiteralPart literal] && string.Equals(literal.Content, text, StringComparison.OrdinalIgnoreCase);
    }

    private static OutboundMessage AnyOutboundMessage() => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = "conformance-customer" },
        Text = "conformance",
        CreatedAt = DateTimeOffset.UnixEpoch,
    };

    [GeneratedRegex("^[a-z][a-z0-9-]*$")]
    private static partial Regex LowerCaseChannelType();
}
