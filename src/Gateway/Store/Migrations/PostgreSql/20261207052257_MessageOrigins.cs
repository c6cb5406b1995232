using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations.PostgreSql
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
                type: "character varying(40)",
                maxLength: 40,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OriginReference",
                table: "MessageContents",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OriginTitle",
                table: "MessageContents",
                type: "character varying(300)",
                maxLength: 300,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "OriginUrl",
                table: "MessageContents",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "UnsupportedFailed",
                table: "MessageContents",
                type: "boolean",
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
