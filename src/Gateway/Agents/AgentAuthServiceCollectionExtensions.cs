using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Agents;

/// <summary>The desk's sign-in: cookie sessions checked against the store, roles, throttling, proxies and the origin check.</summary>
internal static class AgentAuthServiceCollectionExtensions
{
    public static IServiceCollection AddAgentAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection("Auth")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddOptions<DeskOptions>().Bind(configuration.GetSection("Desk")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeskOptions>, DeskOptionsValidator>();
        services.AddOptions<ProxyOptions>().Bind(configuration.GetSection("ForwardedHeaders")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProxyOptions>, ProxyOptionsValidator>();
        services.AddSingleton<IValidateOptions<AgentsOptions>, DemoSecretsValidator>();
        services.AddSingleton<AgentSessions>();
        services.AddSingleton<DeskConnections>();
        services.AddHostedService(sp => sp.GetRequiredService<DeskConnections>());
        services.AddSingleton<SignInThrottle>();

        // X-Forwarded-For/-Proto are believed from the configured proxies only (loopback when none are set),
        // so the client address (rate limits) and https (Secure cookies) are the real ones behind a proxy.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, proxies) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            var p = proxies.Value;
            if (p.KnownProxies.Count == 0 && p.KnownNetworks.Count == 0)
            {
                return;
            }

            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var address in p.KnownProxies.Where(a => IPAddress.TryParse(a, out _)))
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(address));
            }

            foreach (var network in p.KnownNetworks.Where(n => System.Net.IPNetwork.TryParse(n, out _)))
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });

        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, ct) =>
            {
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await context.HttpContext.Response.WriteAsJsonAsync(new Web.ErrorDto("too many sign-in attempts from this address; try again later"), ct);
            };
            o.AddPolicy(SignInThrottle.AddressPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "",
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = http.RequestServices.GetRequiredService<IOptionsMonitor<AuthOptions>>().CurrentValue.SignInsPerAddressPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
        });

        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = "cg.agent";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            // Secure whenever the desk is reached over https, also through a proxy (forwarded headers above).
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SlidingExpiration = true;
            o.Events.OnValidatePrincipal = ctx => ctx.HttpContext.RequestServices.GetRequiredService<AgentSessions>().ValidateAsync(ctx);
            // An API answers 401/403, it does not redirect to a login page.
            o.Events.OnRedirectToLogin = ctx => { ctx.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
            o.Events.OnRedirectToAccessDenied = ctx => { ctx.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; };
        });
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((cookie, auth) => cookie.ExpireTimeSpan = auth.Value.SessionLifetime);
        services.AddAuthorization(o => o.AddPolicy(AuthPolicies.Supervisor, p => p.RequireRole(AgentRoles.Supervisor)));
        return services;
    }

    /// <summary>Between routing and the endpoints: the origin check, the sign-in rate limit, then authentication.</summary>
    public static IApplicationBuilder UseAgentAuth(this IApplicationBuilder app) =>
        app.UseMiddleware<OriginCheckMiddleware>()
            .UseRateLimiter()
            .UseAuthentication()
            .UseAuthorization();
}
