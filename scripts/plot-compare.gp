# SPDX-License-Identifier: MIT
#
# plot-compare.gp — charts of a `linerate compare` run, from its CSV.
#
#   gnuplot -e "csv='results.csv'; outdir='out'; desc='desc.csv'" plot-compare.gp
#
# Writes, as PNG (pngcairo when gnuplot has it, else png) and SVG:
#   mpps.*          forwarded Mpps per mode (median, min-max bar), offered,
#                   what the DUT received (its rate when the sink limits),
#                   NDR, PDR
#   cycles.*        DUT cycles per packet per mode (median, min-max bar,
#                   log scale), and at the NDR
#   desc-scaling.*  only when desc names a file: the kernel models'
#                   descriptor-scaling CSV, either as scripts/fdscale.sh
#                   writes it (long: model,sockets,...,cpu_ns_per_pkt,
#                   syscalls_per_pkt; descmodels lists the models, the
#                   compare program fills it in; also desc-syscalls.*) or
#                   wide (first column descriptors, one column per series)
# Columns of the results CSV are read by name (see cp_cmp_csv_header). Every
# plot carries an invisible y=0 series so that a metric no mode measured
# (all empty) still gives a chart instead of an error.

if (!exists("csv")) csv = 'results.csv'
if (!exists("outdir")) outdir = '.'
if (!exists("desc")) desc = ''
if (!exists("descmodels")) descmodels = ''

set datafile separator comma
set datafile columnheaders
set datafile missing ''

# pngcairo when compiled in, libgd png otherwise
pngterm = 'png'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) pngterm = 'pngcairo'

stats csv using 0 nooutput
nrows = STATS_records
width = (nrows * 60 + 300 > 800) ? nrows * 60 + 300 : 800

label(i) = sprintf("%s %dB %df", strcol("mode"), column("frame"), column("flows"))

set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
set xtics rotate by -40 left font ",9" nomirror
set key outside top center horizontal
set bmargin 10
set xrange [-0.7:nrows - 0.3]
set yrange [0:*]

do for [fmt in "png svg"] {
	if (fmt eq "png") {
		set terminal @pngterm size width,600 noenhanced
	} else {
		set terminal svg size width,600 noenhanced dynamic
	}

	set output outdir . '/mpps.' . fmt
	set title 'forwarded Mpps per mode (median, bar = min..max over repetitions)'
	set ylabel 'Mpps'
	plot csv using 0:(column("forwarded_mpps")):xtic(label(0)) \
		with boxes lc rgb '#4477aa' title 'forwarded (MRR)', \
	     '' using 0:(column("forwarded_mpps")):(column("forwarded_min")):(column("forwarded_max")) \
		with yerrorbars pt -1 lc rgb 'black' notitle, \
	     '' using 0:(column("offered_mpps")) with points pt 6 ps 1.2 lc rgb '#666666' title 'offered', \
	     '' using 0:(column("dut_rx_mpps")) with points pt 4 ps 1.2 lc rgb '#000088' title 'DUT received', \
	     '' using 0:(column("ndr_mpps")) with points pt 7 ps 1.3 lc rgb '#228833' title 'NDR', \
	     '' using 0:(column("pdr_mpps")) with points pt 9 ps 1.3 lc rgb '#ee6677' title 'PDR (0.5% loss)', \
	     '' using 0:(0) with dots lc rgb '#ffffffff' notitle

	# log scale: the modes differ by orders of magnitude (a collapsed
	# model costs 1e8 cycles a packet, a bypass one 1e2), and a linear
	# axis would show one bar and a row of zeros
	set output outdir . '/cycles.' . fmt
	set title 'DUT cycles per packet per mode (median, bar = min..max; log scale)'
	set ylabel 'TSC cycles / packet'
	set logscale y 10
	set yrange [*:*]
	plot csv using 0:(column("cycles_per_pkt")):xtic(label(0)) \
		with boxes lc rgb '#aa3377' title 'at max offered rate', \
	     '' using 0:(column("cycles_per_pkt")):(column("cycles_min")):(column("cycles_max")) \
		with yerrorbars pt -1 lc rgb 'black' notitle, \
	     '' using 0:(column("ndr_cycles_per_pkt")) with points pt 7 ps 1.3 lc rgb '#228833' title 'at NDR', \
	     '' using 0:(1) with dots lc rgb '#ffffffff' notitle
	unset logscale y
	set yrange [0:*]
	unset output
}

if (desc ne '') {
	unset xrange
	unset xtics
	set xtics nomirror
	set bmargin
	set logscale x 10
	set yrange [0:*]
	stats desc using 0 nooutput
	ncols = STATS_columns
	do for [fmt in "png svg"] {
		if (fmt eq "png") {
			set terminal @pngterm size 900,600 noenhanced
		} else {
			set terminal svg size 900,600 noenhanced dynamic
		}
		set output outdir . '/desc-scaling.' . fmt
		set title 'kernel models: descriptor scaling'
		if (descmodels ne '') {
			set xlabel 'sockets watched'
			set ylabel 'CPU ns / packet'
			plot for [m in descmodels] desc \
				using (strcol("model") eq m ? column("sockets") : NaN):(column("cpu_ns_per_pkt")) \
				with linespoints title m
			set output outdir . '/desc-syscalls.' . fmt
			set title 'kernel models: syscalls per packet against sockets watched'
			set ylabel 'syscalls / packet'
			plot for [m in descmodels] desc \
				using (strcol("model") eq m ? column("sockets") : NaN):(column("syscalls_per_pkt")) \
				with linespoints title m
		} else {
			set xlabel 'descriptors'
			set ylabel 'Mpps'
			plot for [i=2:ncols] desc using 1:i with linespoints title columnhead(i)
		}
		unset output
	}
}
