using System.Globalization;
using ChatGateway.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.FollowUps;

/// <summary>
/// The shop's wall clock (<c>BusinessHours:TimeZone</c>): follow-ups are planned in it and stored in UTC. A wall time that
/// does not exist (the hour skipped when clocks go forward) becomes the first minute after the gap; one that happens twice
/// (the hour repeated when clocks go back) is taken the first time.
/// </summary>
internal sealed class ShopTime(IOptionsMonitor<BusinessHoursOptions> hours, FollowUpSettings options)
{
    public TimeZoneInfo Zone => TimeZoneInfo.TryFindSystemTimeZoneById(hours.CurrentValue.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;

    public DateTimeOffset ToShop(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone);

    public DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(ToShop(at).DateTime);

    /// <summary>The instant of a wall-clock time in the shop.</summary>
    public DateTimeOffset At(DateOnly day, TimeOnly time)
    {
        var zone = Zone;
        var local = day.ToDateTime(time, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(1);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }

    /// <summary><paramref name="at"/>, or the end of the quiet hours when it falls in them.</summary>
    public DateTimeOffset OutOfQuietHours(DateTimeOffset at)
    {
        if (!TryParseRange(options.Current.QuietHours, out var start, out var end) || start == end)
        {
            return at;
        }

        var local = ToShop(at);
        var day = DateOnly.FromDateTime(local.DateTime);
        var time = TimeOnly.FromDateTime(local.DateTime);
        var quiet = start < end ? time >= start && time < end : time >= start || time < end;
        if (!quiet)
        {
            return at;
        }

        // Across midnight (21:00-09:00): before midnight the quiet ends tomorrow, after it today.
        var endDay = start > end && time >= start ? day.AddDays(1) : day;
        return At(endDay, end);
    }

    public bool IsQuiet(DateTimeOffset at) => OutOfQuietHours(at) != at;

    /// <summary>
    /// When a payment reminder for an order placed at <paramref name="placed"/> goes out, <paramref name="daysLater"/> days on:
    /// placed before 11:00 -> 11:00 the same day; 11:00-16:00 -> 16:00 the same day; from 16:00 -> the hour before
    /// dispatch the next morning. The reminder's window is an hour from then.
    /// </summary>
    public DateTimeOffset PaymentSlot(DateTimeOffset placed, int daysLater)
    {
        var local = ToShop(placed);
        var day = DateOnly.FromDateTime(local.DateTime);
        var time = TimeOnly.FromDateTime(local.DateTime);
        _ = TryParseTime(options.Current.DispatchTime, out var dispatch);
        var (slotDay, slot) = time < new TimeOnly(11, 0) ? (day, new TimeOnly(11, 0))
            : time < new TimeOnly(16, 0) ? (day, new TimeOnly(16, 0))
            : (day.AddDays(1), dispatch.AddHours(-1));
        return At(slotDay.AddDays(daysLater), slot);
    }

    public string Describe(DateTimeOffset at) => ToShop(at).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    public static bool TryParseTime(string? text, out TimeOnly time) =>
        TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out time);

    public static bool TryParseRange(string? text, out TimeOnly start, out TimeOnly end)
    {
        start = end = default;
        var parts = text?.Split('-', 2, StringSplitOptions.TrimEntries);
        return parts is { Length: 2 } && TryParseTime(parts[0], out start) && TryParseTime(parts[1], out end);
    }
}
