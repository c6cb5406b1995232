using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations
{
    /// <inheritdoc />
    public partial class MessageOrigins : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "OriginKind",
                table: "MessageContents",
                type: "TEXT",
                maxLength: 40,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OriginReference",
                table: "MessageContents",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OriginTitle",
                table: "MessageContents",
                type: "TEXT",
                maxLength: 300,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OriginUrl",
                table: "MessageContents",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "UnsupportedFailed",
                table: "MessageContents",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "OriginKind",
                table: "MessageContents");

            migrationBuilder.DropColumn(
                name: "OriginReference",
                table: "MessageContents");

            migrationBuilder.DropColumn(
                name: "OriginTitle",
                table: "MessageContents");

            migrationBuilder.DropColumn(
                name: "OriginUrl",
                table: "MessageContents");

            migrationBuilder.DropColumn(
                name: "UnsupportedFailed",
                table: "MessageContents");
        }
    }
}
