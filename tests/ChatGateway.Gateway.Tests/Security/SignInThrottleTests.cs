using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Security;

/// <summary>
/// Password guessing against the desk: a rate limit per client address, a lockout per user name that ends on
/// the gateway's clock, and unknown user names that cost as much as real ones. Bad inputs tried: bursts of
/// unknown names from one address, repeated wrong passwords then the right one, a very long user name.
/// </summary>
public sealed class SignInThrottleTests
{
    [Fact]
    public async Task SignIn_BurstFromOneAddress_Gets429WithRetryAfterAndAReason()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["Auth:SignInsPerAddressPerMinute"] = "3" });
        using var http = host.CreateClient();

        // Different names each time: the per-name lockout never triggers, only the address limit can.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, $"guess{i}", "guess")).StatusCode);
        }

        var limited = await SecurityClient.LoginAsync(http, "alice", GatewayHost.DemoPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is missing");
        Assert.Contains("too many sign-in attempts from this address", (await limited.Content.ReadFromJsonAsync<ErrorDto>())!.Error);
    }

    [Fact]
    public async Task SignIn_RepeatedWrongPasswords_LockTheNameUntilTheLockoutEnds()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: new Dictionary<string, string?>
        {
            ["Auth:MaxFailures"] = "3",
            ["Auth:LockoutTime"] = "00:05:00",
        });
        using var http = host.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, "bob", "guess" + i)).StatusCode);
        }

        // Locked: even the right password is refused, with the time to wait.
        var locked = await SecurityClient.LoginAsync(http, "BOB ", GatewayHost.DemoPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.InRange(locked.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 290, 300);
        Assert.Contains("too many sign-in attempts for this user name", (await locked.Content.ReadFromJsonAsync<ErrorDto>())!.Error);

        // Others are not affected.
        Assert.Equal(HttpStatusCode.OK, (await SecurityClient.LoginAsync(http, "alice", GatewayHost.DemoPassword)).StatusCode);

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await SecurityClient.LoginAsync(http, "bob", GatewayHost.DemoPassword)).StatusCode);
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, (await SecurityClient.LoginAsync(http, "bob", GatewayHost.DemoPassword)).StatusCode);
    }

    [Fact]
    public async Task SignIn_UnknownNameLocksLikeAKnownOne_SoLockoutsTellNothing()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["Auth:MaxFailures"] = "2" });
        using var http = host.CreateClient();
        foreach (var name in new[] { "bob", "mallory" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, name, "guess")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, name, "guess")).StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, (await SecurityClient.LoginAsync(http, name, "guess")).StatusCode);
        }

        var tooLong = await SecurityClient.LoginAsync(http, new string('a', 65), "guess");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
    }

    [Fact]
    public async Task SignIn_UnknownUserName_TakesAsLongAsAWrongPassword()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["Auth:MaxFailures"] = "100" });
        using var http = host.CreateClient();
        await SecurityClient.LoginAsync(http, "warm-up", "guess"); // the dummy hash is made once, at the first unknown name

        async Task<double> MillisecondsAsync(string userName, int i)
        {
            var watch = Stopwatch.StartNew();
            Assert.Equal(HttpStatusCode.Unauthorized, (await SecurityClient.LoginAsync(http, userName, "guess" + i)).StatusCode);
            return watch.Elapsed.TotalMilliseconds;
        }

        // Interleaved, so that other work on the machine slows both kinds alike; medians, so one stall does not count.
        var wrongPassword = new List<double>();
        var unknownName = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            wrongPassword.Add(await MillisecondsAsync("alice", i));
            unknownName.Add(await MillisecondsAsync("nobody-here", i));
        }

        var wrong = wrongPassword.Order().ElementAt(3);
        var unknown = unknownName.Order().ElementAt(3);
        // Without the dummy hash an unknown name answers in a few milliseconds, a wrong password in hundreds.
        Assert.True(unknown > wrong * 0.3, $"unknown name {unknown:0} ms, wrong password {wrong:0} ms (medians)");
    }
}
