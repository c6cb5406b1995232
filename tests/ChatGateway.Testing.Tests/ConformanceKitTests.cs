using System.Reflection;
using System.Runtime.ExceptionServices;

using ChatGateway.Testing.Conformance;

using Xunit.Sdk;

namespace ChatGateway.Testing.Tests;

/// <summary>
/// The conformance kit's own tests: every behaviour fact passes for a sound plugin and fails, for the right reason, for a
/// plugin with the flaw it is there to catch. A fact no flawed plugin fails could not fail.
/// </summary>
public sealed class ConformanceKitTests
{
    public static TheoryData<string> BehaviourFacts =>
    [
        .. typeof(ChannelPluginConformanceTests).GetMethods()
            .Where(method => method.GetCustomAttributes<FactAttribute>().Any())
            .Select(method => method.Name)
            .Where(name => name.StartsWith("Webhook_", StringComparison.Ordinal)
                || name.StartsWith("Sender_Provider", StringComparison.Ordinal)
                || name.StartsWith("Sender_Retry", StringComparison.Ordinal)
                || name.StartsWith("Sender_ReplyContexts", StringComparison.Ordinal)
                || name.StartsWith("Sender_AttachmentsDeclared_AMessage", StringComparison.Ordinal)
                || name == nameof(ChannelPluginConformanceTests.ConfigureServices_ValidSettings_EveryRegistrationIncludingFactoriesConstructs))
            .Order(),
    ];

    [Theory]
    [MemberData(nameof(BehaviourFacts))]
    public async Task SoundPlugin_PassesTheFact(string fact)
    {
        await RunAsync(ProbeFlaws.None, fact);
    }

    [Theory]
    [InlineData(ProbeFlaws.ChecksNoSignature, nameof(ChannelPluginConformanceTests.Webhook_BodyChangedAfterSigning_IsRefusedBeforeTheSink), "must refuse a body changed after it was signed")]
    [InlineData(ProbeFlaws.ChecksNoSignature, nameof(ChannelPluginConformanceTests.Webhook_SignatureOfAnotherBody_IsRefusedBeforeTheSink), "must refuse a body sent with the signature of another body")]
    [InlineData(ProbeFlaws.ChecksNoSignature, nameof(ChannelPluginConformanceTests.Webhook_Unsigned_IsRefusedBeforeTheSink), "must refuse an unsigned body")]
    [InlineData(ProbeFlaws.ChecksNoSignature, nameof(ChannelPluginConformanceTests.Webhook_CorruptedBodyWithTheOriginalSignature_IsRefusedAsUnsignedNotAsMalformed), "answered 400")]
    [InlineData(ProbeFlaws.ParsesBeforeVerifying, nameof(ChannelPluginConformanceTests.Webhook_CorruptedBodyWithTheOriginalSignature_IsRefusedAsUnsignedNotAsMalformed), "the body cut in half, sent with the signature of the original with 401 or 403 (who sent it is unproven); it answered 400")]
    [InlineData(ProbeFlaws.HasNoSizeLimit, nameof(ChannelPluginConformanceTests.Webhook_OverTheSizeLimit_IsRefusedWith413BeforeTheSink), "must be answered 413; it was answered 200")]
    [InlineData(ProbeFlaws.TrustsContentLengthOnly, nameof(ChannelPluginConformanceTests.Webhook_OverTheSizeLimit_IsRefusedWith413BeforeTheSink), "A chunked signed body")]
    [InlineData(ProbeFlaws.AcknowledgesBeforeTheSink, nameof(ChannelPluginConformanceTests.Webhook_SinkStillStoring_IsNotAcknowledgedUntilTheSinkReturns), "was answered")]
    [InlineData(ProbeFlaws.StoresInTheBackground, nameof(ChannelPluginConformanceTests.Webhook_SinkStillStoring_IsNotAcknowledgedUntilTheSinkReturns), "was answered")]
    [InlineData(ProbeFlaws.SwallowsSinkFailures, nameof(ChannelPluginConformanceTests.Webhook_SinkFails_IsAnswered5xxSoTheProviderSendsItAgain), "with 5xx, so that the provider sends it again; it answered 200")]
    [InlineData(ProbeFlaws.SwallowsSinkFailures, nameof(ChannelPluginConformanceTests.Webhook_BatchWhenTheSinkFails_IsAnswered5xx), "it answered 200")]
    [InlineData(ProbeFlaws.FailsTheBatchForOneRefusal, nameof(ChannelPluginConformanceTests.Webhook_BatchWithOneMessageRefused_IsAcknowledgedWithTheOthersStored), "a batch with one message the sink refused with 2xx; it answered 400")]
    [InlineData(ProbeFlaws.HasAFactoryThatThrows, nameof(ChannelPluginConformanceTests.ConfigureServices_ValidSettings_EveryRegistrationIncludingFactoriesConstructs), "ProbeSettings+Broken: InvalidOperationException")]
    [InlineData(ProbeFlaws.CallsEveryFailurePermanent, nameof(ChannelPluginConformanceTests.Sender_ProviderAnswersBusyOrFailing_ReportsTransientFailure), "must be a TransientFailure")]
    [InlineData(ProbeFlaws.CallsEveryFailureTransient, nameof(ChannelPluginConformanceTests.Sender_ProviderRefusesTheRequest_ReportsPermanentFailure), "must be a PermanentFailure")]
    [InlineData(ProbeFlaws.PutsTheTextInErrors, nameof(ChannelPluginConformanceTests.Sender_ProviderRefusesTheRequest_ReportsPermanentFailure), "must not contain the message text")]
    [InlineData(ProbeFlaws.PutsTheTextInErrors, nameof(ChannelPluginConformanceTests.Sender_ProviderAnswersBusyOrFailing_ReportsTransientFailure), "must not contain the message text")]
    [InlineData(ProbeFlaws.SendsANewKeyEachAttempt, nameof(ChannelPluginConformanceTests.Sender_RetryAfterTransientFailure_SendsTheSameIdempotencyKey), "must carry the idempotency key of its first attempt")]
    [InlineData(ProbeFlaws.SendsNoKey, nameof(ChannelPluginConformanceTests.Sender_RetryAfterTransientFailure_SendsTheSameIdempotencyKey), "carried no idempotency key")]
    [InlineData(ProbeFlaws.RefusesAMessageWithoutText, nameof(ChannelPluginConformanceTests.Sender_AttachmentsDeclared_AMessageThatIsOnlyAPicture_GoesOut), "must go out when the provider accepts it")]
    [InlineData(ProbeFlaws.GivesUpOnAStaleReplyContext, nameof(ChannelPluginConformanceTests.Sender_ReplyContextsDeclared_AnAnswerWithAContextTheProviderNoLongerTakes_StillGoesOut), "must still go out")]
    public async Task FlawedPlugin_FailsTheFactForItsFlaw(ProbeFlaws flaw, string fact, string expected)
    {
        var failure = await Record.ExceptionAsync(() => RunAsync(flaw, fact));

        Assert.NotNull(failure);
        Assert.False(failure is SkipException, $"The fact was skipped: {failure.Message}");
        Assert.IsAssignableFrom<XunitException>(failure);
        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> WebhookFacts =>
    [
        .. typeof(ChannelPluginConformanceTests).GetMethods()
            .Where(method => method.GetCustomAttributes<FactAttribute>().Any())
            .Select(method => method.Name)
            .Where(name => name.StartsWith("Webhook_", StringComparison.Ordinal))
            .Order(),
    ];

    [Theory]
    [MemberData(nameof(WebhookFacts))]
    public async Task SoundPluginSigningInTheQuery_PassesTheFact(string fact)
    {
        // The probe then reads its signature only from the query string: a kit that dropped SignQuery's query fails here.
        await RunAsync(ProbeFlaws.None, fact, signsInQuery: true);
    }

    [Theory]
    [InlineData(ProbeFlaws.ChecksNoSignature, nameof(ChannelPluginConformanceTests.Webhook_Unsigned_IsRefusedBeforeTheSink), "must refuse an unsigned body")]
    [InlineData(ProbeFlaws.ChecksNoSignature, nameof(ChannelPluginConformanceTests.Webhook_BodyChangedAfterSigning_IsRefusedBeforeTheSink), "must refuse a body changed after it was signed")]
    [InlineData(ProbeFlaws.ChecksNoSignature, nameof(ChannelPluginConformanceTests.Webhook_SignatureOfAnotherBody_IsRefusedBeforeTheSink), "must refuse a body sent with the signature of another body")]
    [InlineData(ProbeFlaws.ParsesBeforeVerifying, nameof(ChannelPluginConformanceTests.Webhook_CorruptedBodyWithTheOriginalSignature_IsRefusedAsUnsignedNotAsMalformed), "it answered 400")]
    [InlineData(ProbeFlaws.TrustsContentLengthOnly, nameof(ChannelPluginConformanceTests.Webhook_OverTheSizeLimit_IsRefusedWith413BeforeTheSink), "A chunked signed body")]
    [InlineData(ProbeFlaws.AcknowledgesBeforeTheSink, nameof(ChannelPluginConformanceTests.Webhook_SinkStillStoring_IsNotAcknowledgedUntilTheSinkReturns), "was answered")]
    public async Task FlawedPluginSigningInTheQuery_FailsTheFactForItsFlaw(ProbeFlaws flaw, string fact, string expected)
    {
        var failure = await Record.ExceptionAsync(() => RunAsync(flaw, fact, signsInQuery: true));

        Assert.NotNull(failure);
        Assert.False(failure is SkipException, $"The fact was skipped: {failure.Message}");
        Assert.IsAssignableFrom<XunitException>(failure);
        Assert.Contains(expected, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateOnBuild_AFactoryThatThrows_IsNotCaught()
    {
        // Why the kit resolves every registration: the older fact (ValidateOnBuild) passes a factory that throws.
        await RunAsync(ProbeFlaws.HasAFactoryThatThrows, nameof(ChannelPluginConformanceTests.ConfigureServices_ValidSettings_EveryRegistrationCanBeConstructed));
    }

    [Fact]
    public void AssertNoContractAssembly_FolderWithTheContractDll_Fails()
    {
        // This test's own output holds the contract (a test project copies it), as a plugin built without Private="false" would.
        var failure = Assert.ThrowsAny<XunitException>(() =>
            ChannelPluginConformanceTests.AssertNoContractAssembly(AppContext.BaseDirectory, "ChatGateway.Testing.Tests"));

        Assert.Contains("holds ChatGateway.Abstractions.dll", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AssertNoContractAssembly_DepsJsonWithTheContractAsARuntimeAsset_Fails()
    {
        using var folder = new TempFolder();
        folder.Write("Probe.Plugin.deps.json", DepsJson(withRuntime: true));

        var failure = Assert.ThrowsAny<XunitException>(() => ChannelPluginConformanceTests.AssertNoContractAssembly(folder.Path, "Probe.Plugin"));

        Assert.Contains("as a runtime asset", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AssertNoContractAssembly_ContractReferencedForCompileOnly_Passes()
    {
        using var folder = new TempFolder();
        folder.Write("Probe.Plugin.dll", "");
        folder.Write("Probe.Plugin.deps.json", DepsJson(withRuntime: false));

        ChannelPluginConformanceTests.AssertNoContractAssembly(folder.Path, "Probe.Plugin");
    }

    [Fact]
    public void FindPluginOutputFolder_PluginProjectInTheRepository_FindsItsBinFolder()
    {
        using var repository = new TempFolder();
        repository.Write("Shop.slnx", "<Solution />");
        repository.Write("src/Probe/Probe.Plugin.csproj", "<Project />");
        repository.Write("src/Probe/bin/Release/net10.0/Probe.Plugin.dll", "");
        repository.Write("src/Probe/obj/Probe.Plugin.csproj", "<Project />");
        repository.Write("tests/Probe.Tests/bin/Release/net10.0/Probe.Plugin.dll", "");

        var folder = ChannelPluginConformanceTests.FindPluginOutputFolder(
            "Probe.Plugin", Path.Combine(repository.Path, "tests", "Probe.Tests", "bin", "Release", "net10.0") + Path.DirectorySeparatorChar, out var reason);

        Assert.Equal(Path.Combine(repository.Path, "src", "Probe", "bin", "Release", "net10.0"), folder);
        Assert.Equal("", reason);
    }

    [Fact]
    public void FindPluginOutputFolder_NoProjectOfThatName_SaysWhy()
    {
        using var repository = new TempFolder();
        repository.Write("Shop.slnx", "<Solution />");
        repository.Write("tests/Probe.Tests/bin/Debug/net10.0/Probe.Plugin.dll", "");

        var folder = ChannelPluginConformanceTests.FindPluginOutputFolder(
            "Probe.Plugin", Path.Combine(repository.Path, "tests", "Probe.Tests", "bin", "Debug", "net10.0"), out var reason);

        Assert.Null(folder);
        Assert.Contains("0 projects named Probe.Plugin.csproj", reason, StringComparison.Ordinal);
    }

    private static async Task RunAsync(ProbeFlaws flaws, string fact, bool signsInQuery = false)
    {
        var kit = new ProbeConformance(flaws, signsInQuery);
        var method = typeof(ChannelPluginConformanceTests).GetMethod(fact) ?? throw new ArgumentException($"No fact {fact}.", nameof(fact));
        object?[] arguments = method.GetParameters() is [{ ParameterType: var type }] && type == typeof(int) ? [503] : [];
        object? result;
        try
        {
            result = method.Invoke(kit, arguments);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }

        if (result is Task task)
        {
            await task;
        }
    }

    private static string DepsJson(bool withRuntime) => $$"""
        {
          "runtimeTarget": { "name": ".NETCoreApp,Version=v10.0", "signature": "" },
          "targets": {
            ".NETCoreApp,Version=v10.0": {
              "Probe.Plugin/1.0.0": { "dependencies": { "ChatGateway.Abstractions": "1.0.0" }, "runtime": { "Probe.Plugin.dll": {} } },
              "ChatGateway.Abstractions/1.0.0": {{(withRuntime ? """{ "runtime": { "ChatGateway.Abstractions.dll": {} } }""" : "{}")}}
            }
          },
          "libraries": {}
        }
        """;

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("chatgateway-kit-").FullName;

        public void Write(string relativePath, string content)
        {
            var file = System.IO.Path.Combine(Path, relativePath);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            File.WriteAllText(file, content);
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
