using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;

namespace ChatGateway.Gateway.Tests.Security;

/// <summary>Plain HTTP sign-ins that keep the raw cookie, so tests can replay it after it should have died.</summary>
internal static class SecurityClient
{
    public sealed record SignedIn(HttpClient Http, CookieContainer Cookies, string Cookie, AgentDto Agent) : IDisposable
    {
        public void Dispose() => Http.Dispose();
    }

    public static async Task<SignedIn> SignInAsync(GatewayHost host, string userName, string? password = null)
    {
        var cookies = new CookieContainer();
        var http = host.CreateClient(cookies);
        var response = await http.PostAsJsonAsync("/api/auth/login", new { userName, password = password ?? GatewayHost.DemoPassword });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = cookies.GetCookies(host.BaseAddress)["cg.agent"]!.Value;
        return new SignedIn(http, cookies, cookie, (await response.Content.ReadFromJsonAsync<AgentDto>())!);
    }

    /// <summary>A client that sends exactly this cookie and nothing else (no cookie jar).</summary>
    public static HttpClient WithCookie(GatewayHost host, string cookie)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = host.BaseAddress };
        http.DefaultRequestHeaders.Add("Cookie", "cg.agent=" + cookie);
        return http;
    }

    public static CookieContainer Jar(GatewayHost host, string cookie)
    {
        var jar = new CookieContainer();
        jar.Add(host.BaseAddress, new Cookie("cg.agent", cookie));
        return jar;
    }

    public static Task<HttpResponseMessage> LoginAsync(HttpClient http, string userName, string password) =>
        http.PostAsJsonAsync("/api/auth/login", new { userName, password });
}
