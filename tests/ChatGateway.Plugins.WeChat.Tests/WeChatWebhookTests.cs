using System.Net;

using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.WeChat.Tests;

/// <summary>The webhook as WeChat calls it, on the real endpoint: what the kit's webhook part would check, and WeChat's own rules.</summary>
public sealed class WeChatWebhookTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Verification_Signed_EchoesEchostrAsPlainText()
    {
        await using var run = await WeChatWebhookRun.StartAsync();

        using var response = await run.Host.Client.GetAsync(run.Url(WeChatTestInstance.SignedQuery() + "&echostr=5837397520665436492"), Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("5837397520665436492", await response.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task Verification_WrongToken_Is403WithoutTheEcho()
    {
        await using var run = await WeChatWebhookRun.StartAsync();

        using var response = await run.Host.Client.GetAsync(run.Url(WeChatTestInstance.SignedQuery(token: "another") + "&echostr=5837397520665436492"), Token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("5837397520665436492", await response.Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_SignedText_IsStoredThenAnsweredSuccess()
    {
        await using var run = await WeChatWebhookRun.StartAsync();

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload("text.xml"), WeChatTestInstance.SignedQuery());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("success", await response.Content.ReadAsStringAsync(Token));
        var message = Assert.Single(run.Inbound.Accepted);
        Assert.Equal("我的订单 7C1E 到哪里了?", message.Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("timestamp=1409304348&nonce=xxxxxx")]
    [InlineData("signature=f43b4a6571a6552356f482636e5a77e7fa33dcc9&timestamp=1409304348&nonce=xxxxxx")]
    [InlineData("signature=0000000000000000000000000000000000000000&timestamp=1409304348&nonce=xxxxxx")]
    public async Task Post_UnsignedOrForged_Is403BeforeTheSink(string query)
    {
        await using var run = await WeChatWebhookRun.StartAsync();

        // Even a body that is not XML: refused as unsigned, not as malformed (nothing is parsed before the signature).
        using var forged = await run.PostAsync(WeChatTestInstance.LoadPayload("text.xml"), query);
        using var garbage = await run.PostAsync("not xml"u8.ToArray(), query);

        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, garbage.StatusCode);
        Assert.Equal(0, run.Inbound.Calls);
    }

    [Fact]
    public async Task Post_SafeMode_IsDecryptedAndStored()
    {
        await using var run = await WeChatWebhookRun.StartAsync();
        var (body, query) = WeChatTestInstance.Encrypted(WeChatTestInstance.LoadPayload("text.xml"));

        using var response = await run.PostAsync(body, query);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("我的订单 7C1E 到哪里了?", Assert.Single(run.Inbound.Accepted).Text);
    }

    [Fact]
    public async Task Post_SafeModeForAnotherAppId_IsRefusedBeforeTheSink()
    {
        await using var run = await WeChatWebhookRun.StartAsync();
        var (body, query) = WeChatTestInstance.Encrypted(WeChatTestInstance.LoadPayload("text.xml"), appId: "wx0000000000000000");

        using var response = await run.PostAsync(body, query);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, run.Inbound.Calls);
    }

    [Fact]
    public async Task Post_SafeModeEncryptChangedAfterSigning_IsRefusedBeforeTheSink()
    {
        await using var run = await WeChatWebhookRun.StartAsync();
        var (body, query) = WeChatTestInstance.Encrypted(WeChatTestInstance.LoadPayload("text.xml"));
        var (other, _) = WeChatTestInstance.Encrypted(WeChatTestInstance.LoadPayload("link.xml"));

        using var response = await run.PostAsync(other, query);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, run.Inbound.Calls);
        Assert.NotEqual(body, other);
    }

    [Theory]
    [InlineData("xxe.xml")]
    [InlineData("billion-laughs.xml")]
    public async Task Post_DtdPayload_Is400AndNothingStored(string payload)
    {
        await using var run = await WeChatWebhookRun.StartAsync();

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload(payload), WeChatTestInstance.SignedQuery());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, run.Inbound.Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_OverMaxBodyBytes_Is413BeforeTheSink(bool chunked)
    {
        await using var run = await WeChatWebhookRun.StartAsync();
        var body = new byte[64 * 1024 + 1];
        "<xml>"u8.CopyTo(body);

        using var response = await run.PostAsync(body, WeChatTestInstance.SignedQuery(), chunked);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, run.Inbound.Calls);
    }

    [Fact]
    public async Task Post_SinkStillStoring_IsNotAnsweredUntilItReturns()
    {
        await using var run = await WeChatWebhookRun.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        run.Inbound.BeforeAccept = (_, _) => release.Task;

        var answer = run.PostAsync(WeChatTestInstance.LoadPayload("text.xml"), WeChatTestInstance.SignedQuery());
        var early = await Task.WhenAny(answer, Task.Delay(300, Token));

        Assert.NotSame(answer, early);
        release.SetResult();
        using var response = await answer;
        Assert.Equal("success", await response.Content.ReadAsStringAsync(Token));
        Assert.Single(run.Inbound.Accepted);
    }

    [Fact]
    public async Task Post_SinkFails_Is5xxSoWeChatSendsItAgain()
    {
        await using var run = await WeChatWebhookRun.StartAsync();
        run.Inbound.BeforeAccept = (_, _) => throw new InvalidOperationException("store down");

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload("text.xml"), WeChatTestInstance.SignedQuery());

        Assert.True((int)response.StatusCode >= 500, $"answered {(int)response.StatusCode}");
        Assert.NotEqual("success", await response.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task Post_Redelivered_IsStoredOnce()
    {
        await using var run = await WeChatWebhookRun.StartAsync();
        run.Inbound.Deduplicate = true;

        using var first = await run.PostAsync(WeChatTestInstance.LoadPayload("click.xml"), WeChatTestInstance.SignedQuery());
        using var again = await run.PostAsync(WeChatTestInstance.LoadPayload("click.xml"), WeChatTestInstance.SignedQuery(nonce: "yyyyyy"));

        Assert.Equal("success", await again.Content.ReadAsStringAsync(Token));
        Assert.Single(run.Inbound.Accepted);
    }

    [Fact]
    public async Task Post_Image_IsDownloadedAndAttached()
    {
        await using var run = await WeChatWebhookRun.StartAsync(withApi: true);
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4];
        run.Api!.AddMedia("media-photo-1", jpeg, "image/jpeg");

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload("image.xml"), WeChatTestInstance.SignedQuery());

        Assert.Equal("success", await response.Content.ReadAsStringAsync(Token));
        var attachment = Assert.Single(Assert.Single(run.Inbound.Accepted).Attachments!);
        await using var stored = (await run.Container.Attachments.OpenReadAsync(attachment.Id, Token))!;
        var copy = new MemoryStream();
        await stored.CopyToAsync(copy, Token);
        Assert.Equal(jpeg, copy.ToArray());
    }

    [Fact]
    public async Task Post_ImageWhenWeChatCannotBeReached_IsStoredAsAFailedPictureWellWithinFiveSeconds()
    {
        await using var run = await WeChatWebhookRun.StartAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload("image.xml"), WeChatTestInstance.SignedQuery());

        Assert.Equal("success", await response.Content.ReadAsStringAsync(Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"answered after {clock.Elapsed}");
        var message = Assert.Single(run.Inbound.Accepted);
        Assert.Null(message.Attachments);
        Assert.Equal("image", message.Unsupported!.Kind);
        Assert.True(message.Unsupported.Failed);
        Assert.StartsWith("could not be downloaded from WeChat (", message.Unsupported.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_ImageWhoseDownloadFailsTwice_IsAttachedOnTheThirdAttempt()
    {
        await using var run = await WeChatWebhookRun.StartAsync(withApi: true);
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4];
        run.Api!.AddMedia("media-photo-1", jpeg, "image/jpeg");
        run.Api.FailNextMedia(503);
        run.Api.FailNextMediaWith(-1);

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload("image.xml"), WeChatTestInstance.SignedQuery());

        Assert.Equal("success", await response.Content.ReadAsStringAsync(Token));
        var message = Assert.Single(run.Inbound.Accepted);
        Assert.Single(message.Attachments!);
        Assert.Null(message.Unsupported);
        Assert.Equal(3, run.Api.MediaCalls);
    }

    [Fact]
    public async Task Post_ImageWhoseDownloadKeepsFailing_IsStoredAsFailedAfterThreeAttempts()
    {
        await using var run = await WeChatWebhookRun.StartAsync(withApi: true);
        run.Api!.AddMedia("media-photo-1", [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4], "image/jpeg");
        for (var i = 0; i < 4; i++)
        {
            run.Api.FailNextMedia(500);
        }

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload("image.xml"), WeChatTestInstance.SignedQuery());

        Assert.Equal("success", await response.Content.ReadAsStringAsync(Token));
        var message = Assert.Single(run.Inbound.Accepted);
        Assert.Equal(new UnsupportedContent { Kind = "image", Failed = true, Summary = "could not be downloaded from WeChat (WeChat answered 500)" }, message.Unsupported);
        Assert.Equal(3, run.Api.MediaCalls);
    }

    [Fact]
    public async Task Post_VoiceWhoseDownloadKeepsFailing_KeepsWeChatsRecognition()
    {
        await using var run = await WeChatWebhookRun.StartAsync(withApi: true);
        for (var i = 0; i < 3; i++)
        {
            run.Api!.FailNextMediaWith(45009);
        }

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload("voice.xml"), WeChatTestInstance.SignedQuery());

        Assert.Equal("success", await response.Content.ReadAsStringAsync(Token));
        var message = Assert.Single(run.Inbound.Accepted);
        Assert.Equal("我要退货", message.Text);
        Assert.Equal(new UnsupportedContent { Kind = "voice", Failed = true, Summary = "could not be downloaded from WeChat (errcode 45009)" }, message.Unsupported);
        Assert.DoesNotContain(run.Api!.CurrentToken!, message.Unsupported!.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("subscribe-qrscene.xml")]
    [InlineData("scan.xml")]
    public async Task Post_QrCodeWithAScene_IsStoredWithTheSceneAsItsOrigin(string payload)
    {
        await using var run = await WeChatWebhookRun.StartAsync();

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload(payload), WeChatTestInstance.SignedQuery());

        Assert.Equal("success", await response.Content.ReadAsStringAsync(Token));
        Assert.Equal(new MessageOrigin { Kind = "qr-code", Reference = "123" }, Assert.Single(run.Inbound.Accepted).Origin);
    }

    [Fact]
    public async Task Post_PlainSubscribe_StoresNothing()
    {
        await using var run = await WeChatWebhookRun.StartAsync();

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload("subscribe.xml"), WeChatTestInstance.SignedQuery());

        Assert.Equal("success", await response.Content.ReadAsStringAsync(Token));
        Assert.Equal(0, run.Inbound.Calls);
    }

    [Fact]
    public async Task Post_SafeModeWithoutEncrypt_Is403BeforeTheSink()
    {
        await using var run = await WeChatWebhookRun.StartAsync();
        var (_, query) = WeChatTestInstance.Encrypted(WeChatTestInstance.LoadPayload("text.xml"));

        using var plain = await run.PostAsync(WeChatTestInstance.LoadPayload("text.xml"), query);
        using var garbage = await run.PostAsync("not xml"u8.ToArray(), query);

        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, garbage.StatusCode);
        Assert.Equal(0, run.Inbound.Calls);
    }

    [Fact]
    public async Task Post_Unsubscribe_MarksTheContactNotReachable()
    {
        await using var run = await WeChatWebhookRun.StartAsync();
        using var first = await run.PostAsync(WeChatTestInstance.LoadPayload("text.xml"), WeChatTestInstance.SignedQuery());

        using var response = await run.PostAsync(WeChatTestInstance.LoadPayload("unsubscribe.xml"), WeChatTestInstance.SignedQuery());

        Assert.Equal("success", await response.Content.ReadAsStringAsync(Token));
        Assert.Equal((OutreachPreference.None, true), run.Container.Preferences.Choices[WeChatTestInstance.OpenId]);
        Assert.Single(run.Inbound.Accepted);
    }
}
