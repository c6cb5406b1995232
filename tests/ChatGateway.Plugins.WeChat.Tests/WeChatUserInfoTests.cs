using System.Collections.Concurrent;
using System.Diagnostics;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Profiles;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.WeChat.Tests;

/// <summary>A follower's language read from <c>cgi-bin/user/info</c> after their message, and what never waits for it.</summary>
public sealed class WeChatUserInfoTests
{
    private const string UnionId = "o6_bmasdasdsad6_2sgVt7hMZOPfL";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<T> EventuallyAsync<T>(Func<T?> read)
        where T : class
    {
        for (var i = 0; i < 250; i++)
        {
            if (read() is { } value)
            {
                return value;
            }

            await Task.Delay(20, Token);
        }

        throw new TimeoutException("nothing came within 5 s");
    }

    private static async Task<WeChatUserInfoService> StartWorkerAsync(WeChatWebhookRun run)
    {
        var worker = run.Container.Services.GetServices<IHostedService>().OfType<WeChatUserInfoService>().Single();
        await worker.StartAsync(Token);
        return worker;
    }

    [Fact]
    public async Task Message_ReportsTheFollowersLanguage_OnceADay_AndPutsItOnTheirNextMessages()
    {
        await using var run = await WeChatWebhookRun.StartAsync(withApi: true);
        var worker = await StartWorkerAsync(run);
        run.Api!.SetUserInfo(WeChatTestInstance.OpenId, "zh_CN", UnionId);

        using var first = await run.PostAsync(WeChatTestInstance.LoadPayload("text.xml"), WeChatTestInstance.SignedQuery());
        var profile = await EventuallyAsync(() => run.Container.Profiles.Profiles.GetValueOrDefault(WeChatTestInstance.OpenId));
        using var second = await run.PostAsync(WeChatTestInstance.LoadPayload("link.xml"), WeChatTestInstance.SignedQuery());
        await worker.StopAsync(Token);

        Assert.Equal("zh-CN", profile.Language);
        Assert.Equal(UnionId, profile.CrossAccountId);
        Assert.Null(profile.DisplayName);
        Assert.Equal(1, run.Api.UserInfoCalls);
        Assert.Contains(run.Api.RequestUris, uri => uri.StartsWith("/cgi-bin/user/info?", StringComparison.Ordinal)
            && uri.Contains("openid=" + WeChatTestInstance.OpenId, StringComparison.Ordinal) && uri.Contains("lang=zh_CN", StringComparison.Ordinal));
        Assert.Equal([null, "zh-CN"], run.Inbound.Accepted.Select(m => m.Sender.Language));
    }

    [Fact]
    public async Task UserInfoFailing_NeverFailsTheWebhook_AndIsAskedAgainWithTheNextMessage()
    {
        await using var run = await WeChatWebhookRun.StartAsync(withApi: true);
        var worker = await StartWorkerAsync(run);
        run.Api!.SetUserInfo(WeChatTestInstance.OpenId, "en");
        run.Api.FailNextUserInfo(500);

        using var first = await run.PostAsync(WeChatTestInstance.LoadPayload("text.xml"), WeChatTestInstance.SignedQuery());
        await EventuallyAsync(() => run.Api.UserInfoCalls >= 1 ? "asked" : null);
        await Task.Delay(100, Token);
        using var second = await run.PostAsync(WeChatTestInstance.LoadPayload("link.xml"), WeChatTestInstance.SignedQuery());
        var profile = await EventuallyAsync(() => run.Container.Profiles.Profiles.GetValueOrDefault(WeChatTestInstance.OpenId));
        await worker.StopAsync(Token);

        Assert.Equal("success", await first.Content.ReadAsStringAsync(Token));
        Assert.Equal(2, run.Inbound.Accepted.Count);
        Assert.Equal("en", profile.Language);
        Assert.Equal(2, run.Api.UserInfoCalls);
    }

    [Fact]
    public async Task UserInfoSlow_TheWebhookIsAnsweredAtOnce()
    {
        await using var run = await WeChatWebhookRun.StartAsync(withApi: true);
        var worker = await StartWorkerAsync(run);
        run.Api!.SetUserInfo(WeChatTestInstance.OpenId, "zh_CN");
        run.Api.UserInfoDelay = TimeSpan.FromSeconds(8);
        var clock = Stopwatch.StartNew();

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload("text.xml"), WeChatTestInstance.SignedQuery());
        var answeredAfter = clock.Elapsed;
        await EventuallyAsync(() => run.Api.UserInfoCalls >= 1 ? "asked" : null);
        await worker.StopAsync(Token);

        Assert.Equal("success", await response.Content.ReadAsStringAsync(Token));
        Assert.True(answeredAfter < TimeSpan.FromSeconds(2), $"answered after {answeredAfter}");
        Assert.Single(run.Inbound.Accepted);
    }

    [Fact]
    public async Task Logs_AtEveryLevel_HoldNoAccessTokenOrAppSecret_AndTheUnionIdOnlyAtDebug()
    {
        var logs = new RecordingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        await using var run = await WeChatWebhookRun.StartAsync(withApi: true, loggerFactory);
        var worker = await StartWorkerAsync(run);
        run.Api!.SetUserInfo(WeChatTestInstance.OpenId, "zh_CN", UnionId);
        run.Api.FailNextMedia(500);
        run.Api.FailNextMedia(503);
        run.Api.FailNextMedia(502);

        using var text = await run.PostAsync(WeChatTestInstance.LoadPayload("text.xml"), WeChatTestInstance.SignedQuery());
        using var image = await run.PostAsync(WeChatTestInstance.LoadPayload("image.xml"), WeChatTestInstance.SignedQuery());
        await EventuallyAsync(() => run.Container.Profiles.Profiles.GetValueOrDefault(WeChatTestInstance.OpenId));
        run.Api.FailNextSend(500);
        await run.Container.Services.GetRequiredService<IChannelSender>().SendAsync(new OutboundMessage
        {
            MessageId = Guid.NewGuid(), ConversationId = Guid.NewGuid(), Recipient = new ChannelRecipient { ExternalId = WeChatTestInstance.OpenId },
            Text = "您的订单已发货", CreatedAt = DateTimeOffset.UnixEpoch,
        }, Token);
        await worker.StopAsync(Token);

        var token = run.Api.CurrentToken!;
        Assert.Contains(logs.Entries, e => e.Message.Contains("could not be downloaded", StringComparison.Ordinal));
        Assert.All(logs.Entries, e =>
        {
            Assert.DoesNotContain(token, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(WeChatTestInstance.AppSecret, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("access_token=", e.Message, StringComparison.Ordinal);
        });
        Assert.All(logs.Entries.Where(e => e.Level > LogLevel.Debug), e =>
        {
            Assert.DoesNotContain(UnionId, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(WeChatTestInstance.OpenId, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("您的订单", e.Message, StringComparison.Ordinal);
        });
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Debug && e.Message.Contains(UnionId, StringComparison.Ordinal));
    }
}

/// <summary>Every log entry written, with its level and formatted message.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Recorder(_entries);

    public void Dispose()
    {
    }

    private sealed class Recorder(ConcurrentQueue<(LogLevel, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((logLevel, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
